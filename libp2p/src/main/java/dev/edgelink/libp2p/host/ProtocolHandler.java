package dev.edgelink.libp2p.host;

/**
 * Serves one protocol. Called on the stream's event loop right after negotiation; it must set a listener
 * (or reset the stream) before returning, and must not block.
 */
@FunctionalInterface
public interface ProtocolHandler {
    void onStream(Stream stream);
}
