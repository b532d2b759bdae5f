package dev.edgelink.libp2p;

/** A state this code should never reach: a bug in edgelink, not in the peer or the configuration. */
public class InternalException extends Libp2pException {
    private static final long serialVersionUID = 1L;

    public InternalException(String message) {
        super(message);
    }

    public InternalException(String message, Throwable cause) {
        super(message, cause);
    }
}
