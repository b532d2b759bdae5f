package dev.edgelink.cni.internal.ipam;

import java.net.InetAddress;

/**
 * One allocated address and its owner. An entry whose file is empty or unreadable (a crash between creating and
 * writing it) has an empty owner: it stays reserved until GC removes it.
 */
public record Allocation(InetAddress address, String containerId, String ifname, String network) {
    public boolean ownerKnown() {
        return !containerId.isEmpty();
    }

    public boolean isFor(String id, String name) {
        return containerId.equals(id) && ifname.equals(name);
    }
}
