package dev.edgelink.discovery.mdns;

import dev.edgelink.libp2p.ProtocolViolationException;

/** A DNS message that breaks the format or one of our limits; the packet is dropped. */
public final class MalformedDnsException extends ProtocolViolationException {
    private static final long serialVersionUID = 1L;

    public MalformedDnsException(String message) {
        super("mdns: " + message);
    }
}
