package dev.edgelink.cni;

import java.util.Objects;

/**
 * The one failure type of the CNI plugin: it becomes a CNI error result ({@code code}, {@code msg},
 * {@code details}) on the socket and on the client's stdout. {@link #msg()} says what was wrong in one line;
 * {@link #details()} says more and, where there is one, what to do.
 */
public class CniException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int code;
    private final String msg;
    private final String details;

    public CniException(CniErrorCode code, String msg, String details) {
        this(code.code(), msg, details, null);
    }

    public CniException(CniErrorCode code, String msg, String details, Throwable cause) {
        this(code.code(), msg, details, cause);
    }

    /** With a raw number, for errors that arrived from elsewhere (the agent's answer). */
    public CniException(int code, String msg, String details, Throwable cause) {
        super(details == null || details.isEmpty() ? msg : msg + ": " + details, cause);
        this.code = code;
        this.msg = Objects.requireNonNull(msg, "msg");
        this.details = details == null ? "" : details;
    }

    public int code() {
        return code;
    }

    public CniErrorCode kind() {
        return CniErrorCode.of(code);
    }

    public String msg() {
        return msg;
    }

    /** The longer text, or "" when there is none. */
    public String details() {
        return details;
    }

    /** A configuration field is missing or wrong (code 7); the message starts with the field's name. */
    public static CniException badConfig(String field, String problem) {
        return new CniException(CniErrorCode.INVALID_NETWORK_CONFIG, "invalid network config: " + field + " "
                + problem, "fix the field '" + field + "' in the conflist entry of type edgelink");
    }

    /** A CNI_* variable is missing or wrong (code 4); the message starts with the variable's name. */
    public static CniException badEnvironment(String variable, String problem) {
        return new CniException(CniErrorCode.INVALID_ENVIRONMENT, "invalid environment: " + variable + " "
                + problem, "");
    }
}
