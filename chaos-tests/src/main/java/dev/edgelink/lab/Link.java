package dev.edgelink.lab;

/**
 * A node's attachment to a segment: a veth pair whose node end is {@code iface} (with {@code address}) and whose
 * other end is port {@code port} of the segment's bridge.
 *
 * @param node the node (or router)
 * @param segment the segment
 * @param iface the interface name inside the node's namespace ({@code eth0}, {@code eth1}, ...)
 * @param port the interface name of the bridge port inside the segment's namespace
 * @param address the node's IPv4 address on the segment, without prefix length
 * @param prefixLength the segment's prefix length
 */
public record Link(Node node, Segment segment, String iface, String port, String address, int prefixLength) {

    /** {@code address/prefixLength}. */
    public String cidr() {
        return address + "/" + prefixLength;
    }
}
