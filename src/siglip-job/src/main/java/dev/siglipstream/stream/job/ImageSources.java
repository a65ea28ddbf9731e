package dev.siglipstream.stream.job;

import dev.siglipstream.stream.fetch.FetchPolicy;
import dev.siglipstream.stream.operator.ImageScoringFunction.ImageSource;
import dev.siglipstream.stream.options.JobOptions;
import org.apache.flink.configuration.Configuration;

/** Builds the URI image source from the job options: the fetcher with its allowlist, size limit and timeout. */
final class ImageSources {
    private ImageSources() {}

    static ImageSource fromOptions(Configuration conf) {
        FetchPolicy policy = FetchPolicy.builder()
                .allow(conf.get(JobOptions.URI_ALLOWLIST))
                .maxBytes(conf.get(JobOptions.MAX_IMAGE_BYTES))
                .totalTimeout(conf.get(JobOptions.FETCH_TIMEOUT))
                .allowPrivateAddresses(conf.get(JobOptions.FETCH_ALLOW_PRIVATE_ADDRESSES))
                .build();
        if (policy.allowPrivateAddresses()) {
            org.slf4j.LoggerFactory.getLogger(ImageSources.class).warn("{} is on: images are fetched from loopback, private "
                    + "and cloud-metadata addresses on the allowlist too; only for tests and trusted networks",
                    JobOptions.FETCH_ALLOW_PRIVATE_ADDRESSES.key());
        }
        // The project's fetcher; its refusal reasons are the dead-letter reasons of the same name.
        dev.siglipstream.flink.ImageSource fetching = dev.siglipstream.flink.ImageSource.fetching(policy);
        return fetching::fetch;
    }
}
