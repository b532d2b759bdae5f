package dev.edgelink.lab.e2e;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The static peers of one data plane scale run ({@link DataplaneScaleBench}) and where each one lives in the lab.
 * Pure: addresses and the agent's config, no I/O.
 *
 * <pre>
 *   segment lan 172.20.0.0/16
 *     agent      172.20.0.1    pod CIDR 10.128.0.0/24 (cluster CIDR 10.128.0.0/9), default route via the router
 *     responder  172.20.0.2    + the underlay (/16) and tunnel address (/32) of every answered peer, all on eth0
 *     router     172.20.0.254  blackholes 172.22.0.0/16, the underlays of the peers that do not answer
 *   peer i (1..N)  pod CIDR 10.128.0.0 + 256 i /24 (tunnel address its first address), VTEP MAC 02:ed:00:i
 *     answered:    underlay 172.20.0.0 + 1024 + i  (on the agent's segment: hostgw verifies)
 *     not answered: underlay 172.22.0.0 + 1024 + i  (across the router: hostgw is not eligible, the ipip and vxlan
 *                   trials are dropped silently, as a kernel path to a peer behind a NAT would be)
 * </pre>
 *
 * Which peers answer: {@code answeredPercent} of them, spread evenly over the list (peer i answers when
 * {@code floor(i p / 100)} grows at i), so that the answered ones are not all at one end of the agent's maps.
 */
record ScaleFleet(int peers, int answeredPercent) {
    static final String LAN = "172.20.0.0/16";
    static final String AGENT_UNDERLAY = "172.20.0.1";
    static final String RESPONDER_UNDERLAY = "172.20.0.2";
    static final String ROUTER_LAN = "172.20.0.254";
    static final String DEAD_UNDERLAYS = "172.22.0.0/16";
    static final String CLUSTER_CIDR = "10.128.0.0/9";
    static final String AGENT_NAME = "scale-agent";
    static final String AGENT_POD_CIDR = "10.128.0.0/24";
    /** Peers that fit: pod CIDRs inside the cluster CIDR and underlays inside their /16. */
    static final int MAX_PEERS = 30_000;
    private static final int LAN_BASE = 0xAC140000;
    private static final int DEAD_BASE = 0xAC160000;
    private static final int POD_BASE = 0x0A800000;
    private static final int UNDERLAY_OFFSET = 1024;

    /** One static peer: its name, pod CIDR, tunnel address, underlay, VTEP MAC, and whether the responder has it. */
    record Peer(int index, String name, String podCidr, String tunnelAddress, String underlay, String vtepMac,
            boolean answered) {
    }

    ScaleFleet {
        if (peers < 1 || peers > MAX_PEERS) {
            throw new IllegalArgumentException("peers must be 1.." + MAX_PEERS + ", got " + peers);
        }
        if (answeredPercent < 0 || answeredPercent > 100) {
            throw new IllegalArgumentException("answeredPercent must be 0..100, got " + answeredPercent);
        }
    }

    /** Peer {@code i}, 1-based. */
    Peer peer(int i) {
        if (i < 1 || i > peers) {
            throw new IllegalArgumentException("no peer " + i + " of " + peers);
        }
        boolean answered = answers(i);
        String pod = ipv4(POD_BASE + 256 * i);
        String underlay = ipv4((answered ? LAN_BASE : DEAD_BASE) + UNDERLAY_OFFSET + i);
        String mac = String.format(Locale.ROOT, "02:ed:00:%02x:%02x:%02x", (i >> 16) & 0xff, (i >> 8) & 0xff,
                i & 0xff);
        return new Peer(i, String.format(Locale.ROOT, "p%05d", i), pod + "/24", pod, underlay, mac, answered);
    }

    private boolean answers(int i) {
        return (long) i * answeredPercent / 100 > (long) (i - 1) * answeredPercent / 100;
    }

    /** All peers, in index order. */
    List<Peer> all() {
        List<Peer> out = new ArrayList<>(peers);
        for (int i = 1; i <= peers; i++) {
            out.add(peer(i));
        }
        return out;
    }

    /** The peers the responder answers for. */
    List<Peer> answered() {
        return all().stream().filter(Peer::answered).toList();
    }

    /**
     * The agent's config: the node on the lan with every peer in {@code staticPeers}, {@code trust: {insecure:
     * true}}, {@code tunnelMode: auto}, and nothing else changed from the defaults (timeouts, userspace, masquerade
     * as shipped).
     */
    String agentConfig(Path stateDir, Path cniSocket) {
        StringBuilder b = new StringBuilder();
        b.append("nodeName: ").append(AGENT_NAME).append('\n')
                .append("podCidr: ").append(AGENT_POD_CIDR).append('\n')
                .append("clusterCidr: ").append(CLUSTER_CIDR).append('\n')
                .append("listen: [/ip4/").append(AGENT_UNDERLAY).append("/tcp/4001]\n")
                .append("stateDir: ").append(stateDir).append('\n')
                .append("cniSocket: ").append(cniSocket).append('\n')
                .append("tunnelMode: auto\n")
                .append("trust: {insecure: true}\n")
                .append("staticPeers:\n");
        for (Peer p : all()) {
            b.append("  - {nodeName: ").append(p.name()).append(", podCidr: ").append(p.podCidr())
                    .append(", underlay: ").append(p.underlay()).append(", vtepMac: \"").append(p.vtepMac())
                    .append("\"}\n");
        }
        return b.toString();
    }

    /**
     * The {@code ip -b} lines that give the responder every answered peer's underlay (with the lan's prefix, so
     * that it answers ARP for it) and tunnel address (/32) on {@code device}.
     */
    List<String> responderAddresses(String device) {
        List<String> out = new ArrayList<>();
        for (Peer p : answered()) {
            out.add("address add " + p.underlay() + "/16 dev " + device);
            out.add("address add " + p.tunnelAddress() + "/32 dev " + device);
        }
        return out;
    }

    static String ipv4(int a) {
        return ((a >>> 24) & 0xff) + "." + ((a >>> 16) & 0xff) + "." + ((a >>> 8) & 0xff) + "." + (a & 0xff);
    }
}
