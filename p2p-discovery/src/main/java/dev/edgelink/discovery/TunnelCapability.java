package dev.edgelink.discovery;

/** Tunnel mechanisms a node's kernel and agent support, as announced in its record (see ARCHITECTURE.md). */
public enum TunnelCapability {
    HOSTGW,
    IPIP,
    VXLAN,
    USERSPACE
}
