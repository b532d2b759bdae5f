package dev.edgelink.dataplane.netlink;

import dev.edgelink.net.IpPrefix;
import java.util.Objects;

/** An address assigned to a link ({@code ip addr add PREFIX dev LINK}). */
public record LinkAddress(int linkIndex, IpPrefix prefix) {
    public LinkAddress {
        Objects.requireNonNull(prefix, "prefix");
    }
}
