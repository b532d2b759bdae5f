package dev.edgelink.relay.reachability;

import java.net.InetSocketAddress;

/**
 * One peer's view of us: on our connection from {@code local} to {@code remote} it saw us as {@code observed}
 * (identify's observed address).
 *
 * @param outbound whether we dialed that connection; only then does {@code observed} show our NAT's mapping of
 *     {@code local} (on an inbound connection it is just the address the peer dialed)
 */
public record Observation(String observer, InetSocketAddress local, InetSocketAddress remote,
        InetSocketAddress observed, boolean outbound, long atNanos) {
}
