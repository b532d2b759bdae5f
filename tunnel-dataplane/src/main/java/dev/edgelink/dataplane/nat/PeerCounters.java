package dev.edgelink.dataplane.nat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.edgelink.dataplane.path.probe.UdpEchoResponder;
import dev.edgelink.net.IpPrefix;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 *
 * <p>Reading: {@link #readCounters} lists the counters only (what status and metrics need, about 260 bytes of JSON
 * per peer); {@link #read} lists the whole table, maps and rules too, to tell whether it is intact. nft's output is
 * read while it runs (a listing is larger than a pipe's buffer from a few hundred peers on), and a run that takes
 * longer than the timeout is killed.
 */
public final class PeerCounters {
    public static final String TABLE = "edgelink_peers";
    /** Rules the chains hold when the table is whole. */
    static final int RULES = 8;
    /** The path probes' port: packets from or to it on this node are not counted. */
    public static final int PROBE_PORT = UdpEchoResponder.DEFAULT_PORT;
    /** How long one nft run may take before it is killed. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    private static final JsonFactory JSON = new JsonFactory();

    private final List<String> nft;
    private final Duration timeout;

    /** Counts of one peer. */
    public record Traffic(long txBytes, long txPackets, long rxBytes, long rxPackets) {
    }

    /** What {@link #read} found in our table: the counters by name, the map elements and the rules. */
    public record Snapshot(Map<String, long[]> counters, int elements, int rules) {
    }

    /** @param nftCommand how to run nft, e.g. {@code ["nft"]}; tests prefix {@code ip netns exec NS} */
    public PeerCounters(List<String> nftCommand) {
        this(nftCommand, DEFAULT_TIMEOUT);
    }

    /** @param timeout how long one nft run may take before it is killed and the call fails */
    public PeerCounters(List<String> nftCommand, Duration timeout) {
        this.nft = List.copyOf(nftCommand);
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
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
        int elements = 0;
        for (List<IpPrefix> cidrs : peers.values()) {
            elements += 2 * cidrs.size();
        }
        return have.counters().keySet().equals(counterNames(peers.keySet())) && have.elements() == elements
                && have.rules() == RULES;
    }

    /** The counter names {@link #ruleset} makes for {@code peers}. */
    public static Set<String> counterNames(Set<String> peers) {
        Set<String> out = new TreeSet<>();
        for (String p : peers) {
            out.add(counterName("tx", p));
            out.add(counterName("rx", p));
        }
        return out;
    }

    /** Makes our table count exactly {@code peers} (node name to pod CIDRs); see the class comment. */
    public void ensure(Map<String, List<IpPrefix>> peers) {
        run(List.of("-f", "-"), ruleset(peers, readCounters().keySet()));
    }

    /** Our table as it is now, maps and rules included; empty when it does not exist. */
    public Snapshot read() {
        return list(List.of("-j", "list", "table", "ip", TABLE));
    }

    /**
     * The counters of our table by name, {bytes, packets}; empty when the table does not exist. Cheaper than
     * {@link #read}: the maps' elements are not printed.
     */
    public Map<String, long[]> readCounters() {
        return list(List.of("-j", "list", "counters", "table", "ip", TABLE)).counters();
    }

    private Snapshot list(List<String> args) {
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

    /**
     * Parses {@code nft -j list table ip edgelink_peers} (or {@code list counters table ...}) as a stream: the
     * listing of thousands of peers is never held as a tree.
     */
    static Snapshot parse(String json) {
        Map<String, long[]> counters = new LinkedHashMap<>();
        int[] counts = new int[2];
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new NftException("nft printed no JSON object: " + json.substring(0, Math.min(80, json.length())));
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                boolean list = "nftables".equals(p.getCurrentName());
                if (p.nextToken() != JsonToken.START_ARRAY || !list) {
                    p.skipChildren();
                    continue;
                }
                while (p.nextToken() == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String kind = p.getCurrentName();
                        p.nextToken();
                        parseObject(p, kind, counters, counts);
                    }
                }
            }
        } catch (IOException e) {
            throw new NftException("nft printed no JSON: " + e.getMessage());
        }
        return new Snapshot(counters, counts[0], counts[1]);
    }

    /**
     * One object of the listing, the parser on its opening token: a counter of our table goes into {@code counters};
     * a map's elements and a rule of our table are counted ({@code counts}: elements, rules); the rest is skipped.
     */
    private static void parseObject(JsonParser p, String kind, Map<String, long[]> counters, int[] counts)
            throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            p.skipChildren();
            return;
        }
        String table = null;
        String name = null;
        long bytes = 0;
        long packets = 0;
        int elements = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.getCurrentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "table" -> table = p.getText();
                case "name" -> name = p.getText();
                case "bytes" -> bytes = p.getLongValue();
                case "packets" -> packets = p.getLongValue();
                case "elem" -> elements = value == JsonToken.START_ARRAY ? countItems(p) : 0;
                default -> p.skipChildren();
            }
        }
        if (!TABLE.equals(table)) {
            return;
        }
        switch (kind) {
            case "counter" -> counters.put(name, new long[] {bytes, packets});
            case "map" -> counts[0] += elements;
            case "rule" -> counts[1]++;
            default -> { }
        }
    }

    private static int countItems(JsonParser p) throws IOException {
        int n = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            p.skipChildren();
            n++;
        }
        return n;
    }

    /** The counts of each of {@code peers} found in {@code snapshot} (peers without both counters are left out). */
    public static Map<String, Traffic> traffic(Snapshot snapshot, Set<String> peers) {
        return traffic(snapshot.counters(), peers);
    }

    /** The counts of each of {@code peers} in {@code counters} (by name; peers without both are left out). */
    public static Map<String, Traffic> traffic(Map<String, long[]> counters, Set<String> peers) {
        Map<String, Traffic> out = new LinkedHashMap<>();
        for (String p : peers) {
            long[] t = counters.get(counterName("tx", p));
            long[] r = counters.get(counterName("rx", p));
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

    /**
     * Runs nft with {@code args}, writing {@code stdin} (if any) to it and reading its output (stderr merged) while it
     * runs; kills it when it takes longer than the timeout.
     */
    private String run(List<String> args, String stdin) {
        List<String> cmd = new ArrayList<>(nft);
        cmd.addAll(args);
        String what = String.join(" ", cmd);
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new NftException("cannot run " + what + ": " + e.getMessage());
        }
        try {
            CompletableFuture<byte[]> output = readAll(p.getInputStream());
            try (OutputStream in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // nft stopped reading (it failed early): its exit status and output say why
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            if (!p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new NftException(what + " did not finish in " + timeout.toMillis() + " ms; killed it");
            }
            String out = new String(output.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS),
                    StandardCharsets.UTF_8).trim();
            if (p.exitValue() != 0) {
                throw new NftException(what + " exited " + p.exitValue() + ": " + out);
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NftException("interrupted while running " + what);
        } catch (TimeoutException e) {
            throw new NftException(what + " exited but its output did not end within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw new NftException("cannot read the output of " + what + ": " + e.getCause().getMessage());
        } finally {
            p.destroyForcibly();
        }
    }

    /** Reads {@code in} to its end on a thread of its own. */
    private static CompletableFuture<byte[]> readAll(InputStream in) {
        CompletableFuture<byte[]> out = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (in) {
                out.complete(in.readAllBytes());
            } catch (IOException e) {
                out.completeExceptionally(e);
            }
        }, "nft-output");
        reader.setDaemon(true);
        reader.start();
        return out;
    }
}
