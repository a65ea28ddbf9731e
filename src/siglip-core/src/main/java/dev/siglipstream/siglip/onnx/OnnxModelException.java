package dev.siglipstream.siglip.onnx;

/** A model file that cannot be loaded or run: missing, not ONNX, unexpected inputs/outputs, or a runtime failure. */
public class OnnxModelException extends RuntimeException {
    public OnnxModelException(String message) {
        super(message);
    }

    public OnnxModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
