package dev.siglipstream.stream.job;

import dev.siglipstream.events.DeadLetterReason;
import dev.siglipstream.stream.fetch.FetchException;
import dev.siglipstream.stream.fetch.FetchPolicy;
import dev.siglipstream.stream.fetch.ImageFetcher;
import dev.siglipstream.stream.model.ImageRejectedException;
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
        return new FetcherSource(policy);
    }

    /** Fetches with {@link ImageFetcher}; its refusal reasons are the dead-letter reasons of the same name. */
    private static final class FetcherSource implements ImageSource {
        private static final long serialVersionUID = 1L;
        private final FetchPolicy policy;
        private transient ImageFetcher fetcher;

        FetcherSource(FetchPolicy policy) {
            this.policy = policy;
        }

        @Override
        public byte[] fetch(String uri) throws ImageRejectedException {
            if (fetcher == null) {
                fetcher = new ImageFetcher(policy);
            }
            try {
                return fetcher.fetch(uri);
            } catch (FetchException e) {
                throw new ImageRejectedException(DeadLetterReason.valueOf(e.reason().name()), e.getMessage(), e);
            }
        }
    }
}
