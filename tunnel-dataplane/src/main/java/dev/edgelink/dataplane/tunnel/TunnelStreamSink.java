package dev.edgelink.dataplane.tunnel;

import dev.edgelink.libp2p.mux.MuxedStream;

/**
 * Takes negotiated {@code /edgelink/tunnel/1.0.0} streams: a {@link TunnelService}, or something that outlives
 * services (the userspace device, which makes a new service when its TUN device had to be made again).
 */
@FunctionalInterface
public interface TunnelStreamSink {
    /** Takes {@code stream} of the connection authenticated as {@code nodeName}, or resets it. */
    void attach(String nodeName, MuxedStream stream);
}
