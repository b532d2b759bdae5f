package dev.edgelink.lab;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A machine of the lab: a network namespace with {@code lo} up, attached to segments by veth pairs. Everything a
 * node does runs inside its namespace; nothing of it is visible on the host's interfaces.
 */
public class Node {
    final Lab lab;
    private final String name;
    private final String netns;
    private final Map<String, Link> links = new LinkedHashMap<>();

    Node(Lab lab, String name, String netns) {
        this.lab = lab;
        this.name = name;
        this.netns = netns;
    }

    /** The short name given to the lab. */
    public String name() {
        return name;
    }

    /** The full namespace name ({@code el-<id>-<name>}); {@code /run/netns/<netns>} is its nsfs path. */
    public String netns() {
        return netns;
    }

    /**
     * Plugs this node into {@code segment} with a new veth pair ({@code eth0}, {@code eth1}, ... on this side) and
     * gives it {@code address} with the segment's prefix length.
     */
    public synchronized Link attach(Segment segment, String address) {
        Addresses.ipv4(address);
        if (links.containsKey(segment.name())) {
            throw new IllegalArgumentException(this + " is already on " + segment);
        }
        String iface = "eth" + links.size();
        String port = segment.nextPort();
        Link link = new Link(this, segment, iface, port, address, segment.prefixLength());
        lab.ip("link", "add", "name", iface, "netns", netns, "type", "veth", "peer", "name", port, "netns",
                segment.netns());
        links.put(segment.name(), link);
        segment.added(link);
        lab.ip("-n", segment.netns(), "link", "set", port, "master", Segment.BRIDGE, "up");
        lab.ip("-n", netns, "addr", "add", link.cidr(), "dev", iface);
        lab.ip("-n", netns, "link", "set", iface, "up");
        return link;
    }

    /** The attachment to {@code segment}. */
    public synchronized Link link(Segment segment) {
        Link l = links.get(segment.name());
        if (l == null) {
            throw new IllegalArgumentException(this + " is not on " + segment);
        }
        return l;
    }

    /** The attachments in the order they were made. */
    public synchronized List<Link> links() {
        return new ArrayList<>(links.values());
    }

    /** This node's address on {@code segment}. */
    public String address(Segment segment) {
        return link(segment).address();
    }

    /** This node's address on the first segment it was attached to. */
    public synchronized String address() {
        if (links.isEmpty()) {
            throw new IllegalStateException(this + " is on no segment");
        }
        return links.values().iterator().next().address();
    }

    /** {@code ip route replace default via gateway}. */
    public Node defaultRoute(String gateway) {
        lab.ip("-n", netns, "route", "replace", "default", "via", Addresses.ipv4(gateway));
        return this;
    }

    /** {@code ip route replace destination via gateway}. */
    public Node route(String destination, String gateway) {
        lab.ip("-n", netns, "route", "replace", Addresses.cidrOrAddress(destination), "via",
                Addresses.ipv4(gateway));
        return this;
    }

    /** Runs a command in this node's namespace (default timeout); the result is not checked. */
    public ExecResult exec(String... cmd) {
        return lab.exec(netns, cmd);
    }

    /** Runs a command in this node's namespace with a timeout; the result is not checked. */
    public ExecResult exec(Duration timeout, String... cmd) {
        return lab.exec(netns, timeout, cmd);
    }

    /** Starts a long-running process in this node's namespace (see {@link Lab#spawn}). */
    public LabProcess spawn(String processName, String... cmd) {
        return lab.spawn(netns, processName, cmd);
    }

    /** Whether {@code address} answers two pings from here within about two seconds. */
    public boolean ping(String address) {
        return lab.ping(netns, address);
    }

    /** Waits until {@code address} answers pings from here. */
    public void awaitPing(String address, Duration timeout) {
        Wait.until(this + " reaching " + address + " by ping", timeout, () -> lab.pingOnce(netns, address));
    }

    /**
     * Drops every IPv4 packet between {@code a} and {@code b} in both directions in this namespace: on arrival
     * (prerouting, before conntrack and NAT) and when sent from here (output). On a NAT router, addresses on the
     * outside are the public ones.
     */
    public Fault block(String a, String b) {
        Addresses.ipv4(a);
        Addresses.ipv4(b);
        String match = "ip saddr " + a + " ip daddr " + b + " drop\n" + "ip saddr " + b + " ip daddr " + a
                + " drop\n";
        return lab.inetFault(netns, "drop " + a + " <-> " + b + " in " + name, match, match, "");
    }

    /**
     * Drops every IPv4 packet from or to {@code remote} that enters this namespace or is sent from it, including
     * forwarded packets (matched in prerouting, before conntrack and NAT, and on output). On a NAT router given the
     * other site's public address, this cuts the direct path between the sites and nothing else.
     */
    public Fault blockAddress(String remote) {
        Addresses.ipv4(remote);
        return lab.inetFault(netns, "drop everything from/to " + remote + " in " + name, "ip saddr " + remote
                + " drop\nip daddr " + remote + " drop\n", "ip daddr " + remote + " drop\n", "");
    }

    /** Drops {@code percent} % of the packets entering and of those leaving through {@code iface}, at random. */
    public Fault loss(String iface, int percent) {
        Addresses.iface(iface);
        String gen = Addresses.randomDrop(percent) + "\n";
        return lab.inetFault(netns, percent + "% random loss on " + name + "/" + iface,
                "iifname \"" + iface + "\" " + gen, "", "oifname \"" + iface + "\" " + gen);
    }

    /** Limits what leaves through {@code iface} to {@code rate} (tc tbf, e.g. {@code 200mbit}). */
    public Fault shape(String iface, String rate) {
        Addresses.iface(iface);
        lab.tc(netns, "qdisc", "replace", "dev", iface, "root", "tbf", "rate", Addresses.rate(rate), "burst", "64kb",
                "latency", "50ms");
        return lab.track(new Fault("tbf " + rate + " on " + name + "/" + iface,
                () -> lab.tc(netns, "qdisc", "del", "dev", iface, "root")));
    }

    @Override
    public String toString() {
        return "node " + name;
    }
}
