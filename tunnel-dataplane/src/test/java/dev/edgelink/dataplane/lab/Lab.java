package dev.edgelink.dataplane.lab;

import dev.edgelink.labsupport.NetnsLab;

/**
 * The data plane's namespace lab (see {@link NetnsLab}): namespaces named {@code elt-<random>-<suffix>} unless a
 * test picks another tag, plus the one-node underlay the device tests use.
 */
public final class Lab extends NetnsLab {
    private Lab(String tag) {
        super(tag, DEFAULT_COMMAND_TIMEOUT);
    }

    /** Checks for root (see {@link NetnsLab}) and starts an empty lab. */
    public static Lab open() {
        return open("elt");
    }

    /** As {@link #open()}, with namespaces named {@code <tag>-<random>-<suffix>}. */
    public static Lab open(String tag) {
        requireRoot("lab tests need root (network namespaces, veth, vxlan)");
        return new Lab(tag);
    }

    /**
     * Gives {@code ns} the underlay of a one-node lab, with iproute2: veth {@code ul0} (peer {@code ul1}), up,
     * holding {@code 198.18.0.1/24}.
     */
    public void underlay(String ns) {
        ip(ns, "link", "add", "ul0", "type", "veth", "peer", "name", "ul1");
        ip(ns, "addr", "add", "198.18.0.1/24", "dev", "ul0");
        ip(ns, "link", "set", "ul0", "up");
    }
}
