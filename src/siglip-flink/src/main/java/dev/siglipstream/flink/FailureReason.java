package dev.siglipstream.flink;

import org.apache.flink.annotation.PublicEvolving;

/**
 * Why a record was not scored. The names are those of the siglip-stream job's dead-letter reasons,
 * so a failure maps onto a dead letter with {@code DeadLetterReason.valueOf(reason.name())}.
 */
@PublicEvolving
public enum FailureReason {
    /** The element has neither image bytes nor an image URI. */
    MALFORMED_EVENT,
    /** The bytes are not an image any decoder reads, or the image is empty. */
    UNDECODABLE_IMAGE,
    /** The image has more bytes or decoded pixels than the limits allow. */
    IMAGE_TOO_LARGE,
    /** The image's decoded size is over the real-time pixel budget. */
    IMAGE_OVER_BUDGET,
    /** The element names a label set that is not known (or there is none for it). */
    UNKNOWN_LABEL_SET,
    /** The element's label set has no labels. */
    EMPTY_LABEL_SET,
    /** The image URI is not on the allowlist, resolves to a private address, or is malformed. */
    URI_NOT_ALLOWED,
    /** The image URI could not be fetched. */
    FETCH_FAILED,
    /** The fetched image is larger than the fetch byte limit. */
    TOO_LARGE,
    /** The model failed on the image or on the label set's texts; worth retrying. */
    INFERENCE_FAILED,
    /** Not scored within the async timeout. */
    TIMEOUT,
    /** Anything else: a bug, or an extractor that threw. */
    INTERNAL_ERROR
}
