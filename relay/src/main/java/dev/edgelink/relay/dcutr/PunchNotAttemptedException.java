package dev.edgelink.relay.dcutr;

import dev.edgelink.libp2p.TransportException;

/** The punch policy said no (symmetric NAT on a side, or backing off after failures); nothing was sent. */
public final class PunchNotAttemptedException extends TransportException {

    public PunchNotAttemptedException(String reason) {
        super("hole punch not attempted: " + reason);
    }
}
