package dev.edgelink.dataplane.netlink;

import java.net.Inet4Address;

/**
 * The VXLAN-specific settings of a link (the {@code IFLA_VXLAN_*} attributes we set and compare).
 *
 * @param vni VXLAN network identifier, 1..16777215
 * @param local underlay source address, or {@code null} for any
 * @param underlayIndex ifindex of the underlay device ({@code dev}), or 0 for none
 * @param port UDP destination port (flannel and we use 8472; IANA's is 4789)
 * @param learning whether the kernel learns FDB entries from received frames (we set entries ourselves: false)
 * @param ttl outer TTL, 0 for the kernel's default ("auto")
 */
public record VxlanConfig(int vni, Inet4Address local, int underlayIndex, int port, boolean learning, int ttl) {
    public static final int MAX_VNI = (1 << 24) - 1;

    public VxlanConfig {
        if (vni < 1 || vni > MAX_VNI) {
            throw new IllegalArgumentException("VNI " + vni + " out of 1.." + MAX_VNI);
        }
        if (port < 1 || port > 0xffff) {
            throw new IllegalArgumentException("UDP port " + port + " out of 1..65535");
        }
        if (ttl < 0 || ttl > 255) {
            throw new IllegalArgumentException("TTL " + ttl + " out of 0..255");
        }
    }
}
