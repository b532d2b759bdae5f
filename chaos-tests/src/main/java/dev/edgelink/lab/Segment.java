package dev.edgelink.lab;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An L2 segment: a bridge {@code br0} alone in a namespace of its own, with {@code bridge-nf-call-iptables} off so
 * that switched frames never meet an IP firewall (a {@link Wan} turns it on while in place, for its one NFQUEUE
 * rule). Nodes and routers plug into it with veth pairs (see {@link Node#attach}). Faults on a segment act on the
 * frames the bridge forwards (nft family {@code bridge}); so does a WAN (delay and loss).
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
    private Wan wan;

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
        if (wan != null) {
            wan.offloadsOff(link);
        }
    }

    /**
     * Makes this segment a WAN: every IPv4 packet its bridge forwards is held for {@code oneWayDelay} and
     * {@code lossPercent} % of them (0..100, fractions allowed) are dropped at random; see {@link Wan}. One WAN per
     * segment at a time.
     */
    public Wan wan(Duration oneWayDelay, double lossPercent) {
        return wan(oneWayDelay, lossPercent, lab.randomSeed());
    }

    /** As {@link #wan(Duration, double)}, with the random loss drawn from {@code seed} (>= 0) for a replayable run. */
    public Wan wan(Duration oneWayDelay, double lossPercent, long seed) {
        if (oneWayDelay.isNegative() || oneWayDelay.compareTo(Duration.ofSeconds(10)) > 0) {
            throw new IllegalArgumentException("one-way delay must be 0..10 s: " + oneWayDelay);
        }
        Wan.checkLoss(lossPercent);
        if (seed < 0) {
            throw new IllegalArgumentException("seed must be >= 0: " + seed);
        }
        Wan w;
        synchronized (this) {
            if (wan != null) {
                throw new IllegalStateException(this + " already has " + wan + "; remove it first");
            }
            w = lab.wan(this, oneWayDelay, lossPercent);
            wan = w;
        }
        return w.start(seed);
    }

    /** The WAN in place on this segment, if any. */
    public synchronized Optional<Wan> wan() {
        return Optional.ofNullable(wan);
    }

    synchronized void wanRemoved(Wan w) {
        if (wan == w) {
            wan = null;
        }
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
