package dev.edgelink.dataplane.backend;

/**
 * The rungs of the path ladder, best first: the order of the constants is the order of preference. The kernel rungs
 * have backends in this module; the userspace rungs ({@link #DIRECT}, {@link #RELAYED}) get theirs from the
 * userspace backend later and plug into the same {@link TunnelBackend} list.
 */
public enum PathKind {
    /** Same L2 subnet: a plain route via the peer's underlay address, no encapsulation. */
    HOSTGW("hostgw", true),
    /** Kernel IP-in-IP (+20 bytes), L3-reachable peers without NAT between us. */
    IPIP("ipip", true),
    /** Kernel VXLAN in flannel's v0.9 scheme (+50 bytes), L3-reachable peers without NAT between us. */
    VXLAN("vxlan", true),
    /** Userspace encapsulation over a direct (possibly hole-punched) libp2p connection. */
    DIRECT("direct", false),
    /** Userspace encapsulation through a circuit relay. */
    RELAYED("relayed", false);

    private final String label;
    private final boolean kernel;

    PathKind(String label, boolean kernel) {
        this.label = label;
        this.kernel = kernel;
    }

    /** True for the rungs the kernel forwards by itself. */
    public boolean kernel() {
        return kernel;
    }

    /** True if this rung is preferred over {@code other}. */
    public boolean betterThan(PathKind other) {
        return ordinal() < other.ordinal();
    }

    /** The lower-case name used in logs, statuses and node records ("vxlan"). */
    @Override
    public String toString() {
        return label;
    }
}
