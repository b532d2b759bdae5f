package dev.edgelink.agent.cli;

/**
 * A {@code ca} command refused or failed for a reason in the CA directory or the files given, not in the usage
 * (a CA already there, a key file open to others, a certificate of another CA, a file that cannot be written).
 * The command line exits 1 on it; the message says what to do.
 */
final class CaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CaException(String message) {
        super(message);
    }

    CaException(String message, Throwable cause) {
        super(message, cause);
    }
}
