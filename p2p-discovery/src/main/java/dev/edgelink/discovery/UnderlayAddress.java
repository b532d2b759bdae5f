package dev.edgelink.discovery;

import dev.edgelink.discovery.internal.record.IpLiteral;
import java.net.InetAddress;
import java.util.Locale;

/**
 * An address on which a node's underlay (the network between nodes, the "outside") reaches it.
 *
 * @param ip a literal address
 * @param port the port, or 0 when the address carries none
 * @param kind configured on an interface, or observed by peers (the outside of a NAT)
 */
public record UnderlayAddress(InetAddress ip, int port, Kind kind) {

    /** Where the address comes from. */
    public enum Kind {
        INTERFACE,
        OBSERVED
    }

    public UnderlayAddress {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " out of range 0..65535");
        }
        ip = IpLiteral.byAddress(ip.getAddress());
    }

    public static UnderlayAddress of(String ip, int port, Kind kind) {
        return new UnderlayAddress(IpLiteral.parse(ip), port, kind);
    }

    @Override
    public String toString() {
        String text = kind.name().toLowerCase(Locale.ROOT) + ":" + IpLiteral.format(ip);
        return port == 0 ? text : text + ":" + port;
    }
}
