package dev.siglipstream.flink;

import dev.siglipstream.stream.fetch.FetchException;
import dev.siglipstream.stream.fetch.FetchPolicy;
import dev.siglipstream.stream.fetch.ImageFetcher;
import dev.siglipstream.stream.model.ImageRejectedException;

/** {@link ImageFetcher} under a policy, opened on first use in each task; its refusal reasons are the failure reasons of the same name. */
final class FetchingImageSource implements ImageSource {
    private static final long serialVersionUID = 1L;
    private final FetchPolicy policy;
    private transient ImageFetcher fetcher;

    FetchingImageSource(FetchPolicy policy) {
        this.policy = java.util.Objects.requireNonNull(policy, "policy");
    }

    @Override
    public byte[] fetch(String uri) throws ImageRejectedException {
        if (fetcher == null) {
            fetcher = new ImageFetcher(policy);
        }
        try {
            return fetcher.fetch(uri);
        } catch (FetchException e) {
            throw new ImageRejectedException(ImageRejectedException.Reason.valueOf(e.reason().name()), e.getMessage(), e);
        }
    }
}
