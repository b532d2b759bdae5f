package dev.edgelink.libp2p;

/** The remote peer sent something the protocol does not allow. The connection or stream is closed. */
public class ProtocolViolationException extends Libp2pException {
    private static final long serialVersionUID = 1L;

    public ProtocolViolationException(String message) {
        super(message);
    }

    public ProtocolViolationException(String message, Throwable cause) {
        super(message, cause);
    }
}
