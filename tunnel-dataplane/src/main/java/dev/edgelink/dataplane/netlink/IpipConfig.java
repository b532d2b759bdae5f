package dev.edgelink.dataplane.netlink;

import java.net.Inet4Address;

/**
 * The IP-in-IP settings of a link (the {@code IFLA_IPTUN_*} attributes we set).
 *
 * @param local underlay source address, or {@code null} for any
 * @param remote fixed remote endpoint, or {@code null} for a point-to-multipoint device (flannel's scheme: the
 *     remote is taken from each route's gateway)
 * @param ttl outer TTL, 0 to inherit
 * @param underlayIndex ifindex of the underlay device, or 0 for none
 */
public record IpipConfig(Inet4Address local, Inet4Address remote, int ttl, int underlayIndex) {
    public IpipConfig {
        if (ttl < 0 || ttl > 255) {
            throw new IllegalArgumentException("TTL " + ttl + " out of 0..255");
        }
    }
}
