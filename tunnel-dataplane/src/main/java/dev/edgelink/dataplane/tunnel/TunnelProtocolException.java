package dev.edgelink.dataplane.tunnel;

import dev.edgelink.dataplane.DataplaneException;

/** A peer broke {@code /edgelink/tunnel/1.0.0}: a malformed or out-of-order frame. Its stream is reset. */
public final class TunnelProtocolException extends DataplaneException {
    private static final long serialVersionUID = 1L;

    public TunnelProtocolException(String message) {
        super(message);
    }
}
