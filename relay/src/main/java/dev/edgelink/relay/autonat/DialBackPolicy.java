package dev.edgelink.relay.autonat;

import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.multiaddr.Protocol;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Which requested addresses the AutoNAT server dials back. Only TCP addresses on the IP the request came from
 * (so nobody can use us to dial a third party), never circuit addresses, and private, loopback, link-local,
 * multicast and unspecified IPs only when the configuration allows private addresses. Pure.
 */
public final class DialBackPolicy {

    private final boolean allowPrivate;
    private final int maxAddresses;

    public DialBackPolicy(boolean allowPrivate, int maxAddresses) {
        this.allowPrivate = allowPrivate;
        this.maxAddresses = maxAddresses;
    }

    /** Whether a request arriving from {@code observed} may be served at all. */
    public boolean acceptsRequester(InetAddress observed) {
        return allowPrivate || isPublic(observed);
    }

    /** The addresses to dial, in request order, at most the configured number. */
    public List<Multiaddr> select(InetAddress observed, List<Multiaddr> requested) {
        List<Multiaddr> out = new ArrayList<>();
        for (Multiaddr a : requested) {
            if (out.size() >= maxAddresses) {
                break;
            }
            if (dialable(observed, a) && !out.contains(a.withoutPeerId())) {
                out.add(a.withoutPeerId());
            }
        }
        return out;
    }

    private boolean dialable(InetAddress observed, Multiaddr a) {
        if (!a.isTcp() || a.isCircuit()) {
            return false;
        }
        Protocol host = a.components().get(0).protocol();
        if (host != Protocol.IP4 && host != Protocol.IP6) {
            return false;
        }
        var socket = a.toTcpSocketAddress();
        if (socket.getPort() == 0 || !socket.getAddress().equals(observed)) {
            return false;
        }
        return allowPrivate || isPublic(socket.getAddress());
    }

    /** Globally routable: not private (RFC 1918, ULA), loopback, link-local, CGNAT, multicast or unspecified. */
    public static boolean isPublic(InetAddress ip) {
        if (ip.isAnyLocalAddress() || ip.isLoopbackAddress() || ip.isLinkLocalAddress() || ip.isSiteLocalAddress()
                || ip.isMulticastAddress()) {
            return false;
        }
        byte[] b = ip.getAddress();
        if (b.length == 4) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            boolean cgnat = first == 100 && second >= 64 && second < 128;
            boolean benchmark = first == 198 && (second == 18 || second == 19);
            return !cgnat && !benchmark && first != 0;
        }
        return (b[0] & 0xfe) != 0xfc;
    }
}
