package dev.edgelink.lab;

/** A lab step failed: a tool exited non-zero, timed out, or the world is not as the harness expected. */
public class LabException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A failure described by {@code message}. */
    public LabException(String message) {
        super(message);
    }

    /** A failure described by {@code message}, caused by {@code cause}. */
    public LabException(String message, Throwable cause) {
        super(message, cause);
    }
}
