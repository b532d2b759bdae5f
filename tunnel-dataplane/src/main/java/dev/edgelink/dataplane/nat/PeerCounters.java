package dev.edgelink.dataplane.nat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgelink.dataplane.netlink.IpPrefix;
import dev.edgelink.dataplane.path.probe.UdpEchoResponder;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

/**
 * Bytes and packets per peer and direction, on every path (hostgw included), counted by nftables in our own table
 * {@code table ip edgelink_peers} (apart from the masquerade table, whose rewrite must not reset the counts).
 *
 * <pre>
 *   counter tx_&lt;peer&gt; / rx_&lt;peer&gt;       one named counter per peer and direction
 *   map tx { ipv4_addr : counter; interval }   peer pod CIDR -&gt; its tx counter (looked up by daddr)
 *   map rx { ipv4_addr : counter; interval }   peer pod CIDR -&gt; its rx counter (looked up by saddr)
 *   chain count_forward: counter name ip daddr map @tx; counter name ip saddr map @rx
 *   chain count_output:  udp dport 8473 return; udp sport 8473 return; counter name ip daddr map @tx
 *   chain count_input:   udp dport 8473 return; udp sport 8473 return; counter name ip saddr map @rx
 * </pre>
 *
 * The path probes between the nodes' tunnel addresses (UDP port {@link #PROBE_PORT}, from and to this node) are not
 * counted: the counts say when pods exchanged traffic, and probing follows that, so probes must not count as it.
 *
 * One map lookup per packet and direction, whatever the number of peers. Tunnelled packets are counted as the
 * inner packet (before encapsulation on the way out, after decapsulation on the way in): the outer packet's
 * addresses are underlay addresses, in no peer's map. {@link #ensure} applies one {@code nft -f} transaction that
 * declares the objects (existing counters keep their values), refills both maps and the chains, and deletes the
 * counters of departed peers: peers never see a moment without counting, and a counter deleted by hand is put back
 * (from zero). No other table is read or written.
 */
public final class PeerCounters {
    public static final String TABLE = "edgelink_peers";
    /** Rules the chains hold when the table is whole. */
    static final int RULES = 8;
    /** The path probes' port: packets from or to it on this node are not counted. */
    public static final int PROBE_PORT = UdpEchoResponder.DEFAULT_PORT;
    private static final long NFT_TIMEOUT_SECONDS = 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> nft;

    /** Counts of one peer. */
    public record Traffic(long txBytes, long txPackets, long rxBytes, long rxPackets) {
    }

    /** What {@link #read} found in our table: the counters by name, the map elements and the rules. */
    public record Snapshot(Map<String, long[]> counters, int elements, int rules) {
    }

    /** @param nftCommand how to run nft, e.g. {@code ["nft"]}; tests prefix {@code ip netns exec NS} */
    public PeerCounters(List<String> nftCommand) {
        this.nft = List.copyOf(nftCommand);
    }

    /**
     * The counter name of a peer (node names may hold '-' and '.', which nft names may not): the name with other
     * characters as '_', cut to 40, and a CRC-32 of the full name so that two names never share a counter.
     */
    public static String counterName(String direction, String peer) {
        String safe = peer.replaceAll("[^A-Za-z0-9]", "_");
        if (safe.length() > 40) {
            safe = safe.substring(0, 40);
        }
        CRC32 crc = new CRC32();
        crc.update(peer.getBytes(StandardCharsets.UTF_8));
        return direction + "_" + safe + "_" + String.format("%08x", crc.getValue());
    }

    /**
     * The transaction for {@code peers} (node name to pod CIDRs, which must not overlap), deleting the counters in
     * {@code present} that no peer owns any more. Pure.
     */
    public static String ruleset(Map<String, List<IpPrefix>> peers, Set<String> present) {
        Set<String> wanted = new TreeSet<>();
        List<String> tx = new ArrayList<>();
        List<String> rx = new ArrayList<>();
        StringBuilder b = new StringBuilder("table ip " + TABLE + " {\n");
        peers.forEach((peer, cidrs) -> {
            String t = counterName("tx", peer);
            String r = counterName("rx", peer);
            wanted.add(t);
            wanted.add(r);
            b.append("    counter ").append(t).append(" { }\n    counter ").append(r).append(" { }\n");
            for (IpPrefix c : cidrs) {
                tx.add(c + " : \"" + t + "\"");
                rx.add(c + " : \"" + r + "\"");
            }
        });
        b.append("    map tx { type ipv4_addr : counter; flags interval; }\n")
                .append("    map rx { type ipv4_addr : counter; flags interval; }\n")
                .append("    chain count_forward { type filter hook forward priority filter; policy accept; }\n")
                .append("    chain count_output { type filter hook output priority filter; policy accept; }\n")
                .append("    chain count_input { type filter hook input priority filter; policy accept; }\n")
                .append("}\n");
        for (String chain : List.of("count_forward", "count_output", "count_input")) {
            b.append("flush chain ip ").append(TABLE).append(' ').append(chain).append('\n');
        }
        b.append("flush map ip ").append(TABLE).append(" tx\nflush map ip ").append(TABLE).append(" rx\n");
        for (String name : present) {
            if (!wanted.contains(name)) {
                b.append("delete counter ip ").append(TABLE).append(' ').append(name).append('\n');
            }
        }
        if (!tx.isEmpty()) {
            b.append("add element ip ").append(TABLE).append(" tx { ").append(String.join(", ", tx)).append(" }\n");
            b.append("add element ip ").append(TABLE).append(" rx { ").append(String.join(", ", rx)).append(" }\n");
        }
        for (String chain : List.of("count_output", "count_input")) {
            for (String port : List.of("dport", "sport")) {
                b.append("add rule ip ").append(TABLE).append(' ').append(chain).append(" udp ").append(port)
                        .append(' ').append(PROBE_PORT).append(" return\n");
            }
        }
        b.append("add rule ip ").append(TABLE).append(" count_forward counter name ip daddr map @tx\n")
                .append("add rule ip ").append(TABLE).append(" count_forward counter name ip saddr map @rx\n")
                .append("add rule ip ").append(TABLE).append(" count_output counter name ip daddr map @tx\n")
                .append("add rule ip ").append(TABLE).append(" count_input counter name ip saddr map @rx\n");
        return b.toString();
    }

    /** True when {@code have} is exactly what {@link #ruleset} makes for {@code peers}. */
    public static boolean matches(Snapshot have, Map<String, List<IpPrefix>> peers) {
        Set<String> wanted = new TreeSet<>();
        int elements = 0;
        for (Map.Entry<String, List<IpPrefix>> e : peers.entrySet()) {
            wanted.add(counterName("tx", e.getKey()));
            wanted.add(counterName("rx", e.getKey()));
            elements += 2 * e.getValue().size();
        }
        return have.counters().keySet().equals(wanted) && have.elements() == elements && have.rules() == RULES;
    }

    /** Makes our table count exactly {@code peers} (node name to pod CIDRs); see the class comment. */
    public void ensure(Map<String, List<IpPrefix>> peers) {
        run(List.of("-f", "-"), ruleset(peers, read().counters().keySet()));
    }

    /** Our table as it is now; empty when it does not exist. */
    public Snapshot read() {
        List<String> args = List.of("-j", "list", "table", "ip", TABLE);
        String out;
        try {
            out = run(args, null);
        } catch (NftException e) {
            if (e.getMessage().contains("No such file or directory")) {
                return new Snapshot(Map.of(), 0, 0);
            }
            throw e;
        }
        return parse(out);
    }

    /** Parses {@code nft -j list table ip edgelink_peers}. */
    static Snapshot parse(String json) {
        Map<String, long[]> counters = new LinkedHashMap<>();
        int elements = 0;
        int rules = 0;
        try {
            for (JsonNode o : JSON.readTree(json).path("nftables")) {
                JsonNode c = o.path("counter");
                if (c.isObject() && TABLE.equals(c.path("table").asText())) {
                    counters.put(c.path("name").asText(), new long[] {c.path("bytes").asLong(),
                            c.path("packets").asLong()});
                }
                JsonNode m = o.path("map");
                if (m.isObject() && TABLE.equals(m.path("table").asText())) {
                    elements += m.path("elem").size();
                }
                if (o.path("rule").isObject() && TABLE.equals(o.path("rule").path("table").asText())) {
                    rules++;
                }
            }
        } catch (IOException e) {
            throw new NftException("nft printed no JSON: " + e.getMessage());
        }
        return new Snapshot(counters, elements, rules);
    }

    /** The counts of each of {@code peers} found in {@code snapshot} (peers without both counters are left out). */
    public static Map<String, Traffic> traffic(Snapshot snapshot, Set<String> peers) {
        Map<String, Traffic> out = new LinkedHashMap<>();
        for (String p : peers) {
            long[] t = snapshot.counters().get(counterName("tx", p));
            long[] r = snapshot.counters().get(counterName("rx", p));
            if (t != null && r != null) {
                out.put(p, new Traffic(t[0], t[1], r[0], r[1]));
            }
        }
        return out;
    }

    /** Removes our table; no error if it is not there. */
    public void remove() {
        run(List.of("-f", "-"), "table ip " + TABLE + "\ndelete table ip " + TABLE + "\n");
    }

    private String run(List<String> args, String stdin) {
        List<String> cmd = new ArrayList<>(nft);
        cmd.addAll(args);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            try (OutputStream in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!p.waitFor(NFT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new NftException(String.join(" ", cmd) + " did not finish in " + NFT_TIMEOUT_SECONDS + " s");
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.exitValue() != 0) {
                throw new NftException(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + out);
            }
            return out;
        } catch (IOException e) {
            throw new NftException("cannot run " + String.join(" ", cmd) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NftException("interrupted while running " + String.join(" ", cmd));
        }
    }
}
