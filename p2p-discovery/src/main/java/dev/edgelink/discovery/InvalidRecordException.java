package dev.edgelink.discovery;

import dev.edgelink.libp2p.ProtocolViolationException;

/** A node record from a peer failed verification; {@link #reason()} says which check. */
public final class InvalidRecordException extends ProtocolViolationException {
    private static final long serialVersionUID = 1L;

    private final RejectReason reason;

    public InvalidRecordException(RejectReason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public InvalidRecordException(RejectReason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public RejectReason reason() {
        return reason;
    }
}
