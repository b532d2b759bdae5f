package dev.edgelink.discovery.trust;

/**
 * A certificate or revocation list was refused. {@link #problem()} says which check failed; the message says what
 * was wrong and names the thing (node name, fingerprint, instants in ISO-8601), so it can be logged as it is.
 */
public final class InvalidCertificateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final TrustProblem problem;

    public InvalidCertificateException(TrustProblem problem, String message) {
        super(message);
        this.problem = problem;
    }

    public InvalidCertificateException(TrustProblem problem, String message, Throwable cause) {
        super(message, cause);
        this.problem = problem;
    }

    public TrustProblem problem() {
        return problem;
    }
}
