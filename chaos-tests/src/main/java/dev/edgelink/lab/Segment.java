package dev.edgelink.lab;

import java.util.ArrayList;
import java.util.List;

/**
 * An L2 segment: a bridge {@code br0} alone in a namespace of its own, with {@code bridge-nf-call-iptables} off so
 * that switched frames never meet an IP firewall. Nodes and routers plug into it with veth pairs (see
 * {@link Node#attach}). Faults on a segment act on the frames the bridge forwards (nft family {@code bridge}).
 */
public final class Segment {
    /** The bridge device inside the segment's namespace. */
    public static final String BRIDGE = "br0";

    private final Lab lab;
    private final String name;
    private final String netns;
    private final String subnet;
    private final int prefixLength;
    private final List<Link> links = new ArrayList<>();

    Segment(Lab lab, String name, String netns, String subnet) {
        this.lab = lab;
        this.name = name;
        this.netns = netns;
        this.subnet = subnet;
        this.prefixLength = Addresses.prefixLength(subnet);
    }

    /** The short name given to {@link Lab#segment}. */
    public String name() {
        return name;
    }

    /** The full namespace name ({@code el-<id>-<name>}). */
    public String netns() {
        return netns;
    }

    /** The subnet, e.g. {@code 10.1.0.0/24}. */
    public String subnet() {
        return subnet;
    }

    /** The subnet's prefix length. */
    public int prefixLength() {
        return prefixLength;
    }

    /** The attachments made so far. */
    public synchronized List<Link> links() {
        return List.copyOf(links);
    }

    synchronized String nextPort() {
        return "p" + (links.size() + 1);
    }

    synchronized void added(Link link) {
        links.add(link);
    }

    /**
     * Drops every IPv4 packet between {@code a} and {@code b}, both ways, as the bridge forwards it. Addresses are
     * those on the wire of this segment (after any NAT on the routers attached to it).
     */
    public Fault block(String a, String b) {
        String rules = "ip saddr " + a + " ip daddr " + b + " drop\n"
                + "ip saddr " + b + " ip daddr " + a + " drop\n";
        return lab.bridgeFault(netns, "drop " + a + " <-> " + b + " on segment " + name, rules);
    }

    /** Drops {@code percent} % of the frames the bridge forwards, chosen at random (nft {@code numgen}). */
    public Fault loss(int percent) {
        return lab.bridgeFault(netns, percent + "% random loss on segment " + name,
                Addresses.randomDrop(percent) + "\n");
    }

    @Override
    public String toString() {
        return "segment " + name + " " + subnet;
    }
}
