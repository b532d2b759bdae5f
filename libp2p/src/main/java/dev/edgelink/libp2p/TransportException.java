package dev.edgelink.libp2p;

/** The network or the local transport failed: connection refused, reset, timed out, closed under us. */
public class TransportException extends Libp2pException {
    private static final long serialVersionUID = 1L;

    public TransportException(String message) {
        super(message);
    }

    public TransportException(String message, Throwable cause) {
        super(message, cause);
    }
}
