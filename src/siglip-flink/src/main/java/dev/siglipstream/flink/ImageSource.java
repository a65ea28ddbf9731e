package dev.siglipstream.flink;

import dev.siglipstream.stream.fetch.FetchPolicy;
import dev.siglipstream.stream.model.ImageRejectedException;
import java.io.Serializable;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Where images given by URI come from. Called on the scoring's fetch pool (blocking I/O is fine);
 * shipped with the job graph, so it is serializable.
 */
@PublicEvolving
@FunctionalInterface
public interface ImageSource extends Serializable {

    /**
     * The encoded image at {@code uri}.
     *
     * @throws ImageRejectedException the URI is refused or cannot be fetched; its reason becomes the failure's
     */
    byte[] fetch(String uri) throws ImageRejectedException;

    /**
     * The project's fetcher under {@code policy}: its allowlist (the default allows nothing), size limit,
     * timeouts and redirect checks; refusals keep the fetcher's reason (URI_NOT_ALLOWED, FETCH_FAILED, TOO_LARGE).
     */
    static ImageSource fetching(FetchPolicy policy) {
        return new FetchingImageSource(policy);
    }
}
