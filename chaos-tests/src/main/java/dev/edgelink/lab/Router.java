package dev.edgelink.lab;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A node that forwards ({@code net.ipv4.ip_forward=1}) between the segments it is attached to, and optionally
 * acts as a site's NAT router: masquerade towards one outside segment, with the stateful firewall of a typical
 * customer-premises router (LAN to outside allowed, unsolicited outside traffic dropped or rejected).
 */
public final class Router extends Node {
    /** What a NAT router does with unsolicited traffic arriving from outside. */
    public enum Inbound {
        /** Silently drop it, like a typical CPE. */
        DROP,
        /** Answer with TCP RST / ICMP port unreachable, like a bare Linux box. */
        REJECT
    }

    static final String NAT_TABLE = "el_nat";

    private Segment outside;
    private Inbound inbound = Inbound.DROP;
    private NatMode mode;
    private final Map<String, NatMode> hostModes = new LinkedHashMap<>();

    Router(Lab lab, String name, String netns) {
        super(lab, name, netns);
    }

    /** Masquerades everything leaving towards {@code outsideSegment}, dropping unsolicited inbound traffic. */
    public Router nat(Segment outsideSegment, NatMode natMode) {
        return nat(outsideSegment, natMode, Inbound.DROP);
    }

    /** Masquerades everything leaving towards {@code outsideSegment}; {@code policy} for unsolicited inbound. */
    public synchronized Router nat(Segment outsideSegment, NatMode natMode, Inbound policy) {
        link(outsideSegment);
        this.outside = outsideSegment;
        this.inbound = policy;
        this.mode = natMode;
        apply();
        return this;
    }

    /**
     * Switches the NAT mode in one atomic ruleset replacement, then flushes conntrack so that existing mappings do
     * not outlive the old mode.
     */
    public synchronized Router natMode(NatMode natMode) {
        if (outside == null) {
            throw new IllegalStateException(this + " has no NAT; call nat(segment, mode) first");
        }
        this.mode = natMode;
        apply();
        return this;
    }

    /**
     * Gives one LAN host its own NAT mode (e.g. a symmetric NAT for one node of a site while the others keep a
     * port-preserving one), in one atomic ruleset replacement followed by a conntrack flush like
     * {@link #natMode(NatMode)}. {@code null} removes the override; the router's mode applies again.
     */
    public synchronized Router hostNatMode(String lanAddress, NatMode natMode) {
        if (outside == null) {
            throw new IllegalStateException(this + " has no NAT; call nat(segment, mode) first");
        }
        Addresses.ipv4(lanAddress);
        if (natMode == null) {
            hostModes.remove(lanAddress);
        } else {
            hostModes.put(lanAddress, natMode);
        }
        apply();
        return this;
    }

    /** The NAT mode {@code lanAddress} gets: its own (see {@link #hostNatMode}) or the router's. */
    public synchronized NatMode natMode(String lanAddress) {
        return hostModes.getOrDefault(Addresses.ipv4(lanAddress), mode);
    }

    /** The current NAT mode, or {@code null} if this router does not NAT. */
    public synchronized NatMode natMode() {
        return mode;
    }

    private void apply() {
        String wan = link(outside).iface();
        String reject = inbound == Inbound.REJECT ? "meta l4proto tcp reject with tcp reset\n    reject\n" : "drop\n";
        StringBuilder hosts = new StringBuilder();
        // the first matching rule maps a packet: per-host rules come before the router-wide one
        hostModes.forEach((host, m) -> hosts.append("    ip saddr ").append(host).append(" oifname \"").append(wan)
                .append("\" ").append(m.statement()).append('\n'));
        String ruleset = "table ip " + NAT_TABLE + "\n"
                + "delete table ip " + NAT_TABLE + "\n"
                + "table ip " + NAT_TABLE + " {\n"
                + "  chain postrouting {\n"
                + "    type nat hook postrouting priority srcnat; policy accept;\n"
                + hosts
                + "    oifname \"" + wan + "\" " + mode.statement() + "\n"
                + "  }\n"
                + "  chain forward {\n"
                + "    type filter hook forward priority filter; policy drop;\n"
                + "    ct state established,related accept\n"
                + "    iifname != \"" + wan + "\" accept\n"
                + "  }\n"
                + "  chain input {\n"
                + "    type filter hook input priority filter; policy accept;\n"
                + "    iifname != \"" + wan + "\" accept\n"
                + "    ct state established,related accept\n"
                + "    icmp type echo-request accept\n"
                + "    " + reject
                + "  }\n"
                + "}\n";
        lab.nft(netns(), ruleset);
        lab.nftTable(netns(), "ip", NAT_TABLE);
        // conntrack(8) may be missing on a bare machine; scripts/setup.sh installs it. Without the flush only
        // flows that already exist keep their old mapping.
        exec("conntrack", "-F");
    }

    @Override
    public String toString() {
        return "router " + name();
    }
}
