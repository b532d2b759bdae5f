package dev.edgelink.agent.internal.dataplane;

import dev.edgelink.agent.internal.metrics.Metrics;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.nat.NftException;
import dev.edgelink.dataplane.nat.PeerCounters;
import dev.edgelink.dataplane.path.PathStatus;
import dev.edgelink.net.IpPrefix;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bytes and packets per peer, counted by nftables ({@link PeerCounters}) and read on a thread of its own every
 * {@link #READ_INTERVAL}, not in every data plane round: listing the counters of thousands of peers takes nft tens of
 * milliseconds, which would delay a round's probes; status and metrics show counts at most that old.
 *
 * <p>Each {@link #sync} reads the counters only. The table is written again when the peers or their pod CIDRs changed
 * since it was last written, or when it was changed outside the agent (logged at WARN, restored): a missing or
 * stray counter shows in every read; the maps and rules are compared in full (a listing of every map element) at
 * most once per {@code verifyInterval}. A failure (no nft, no nf_tables) is logged once while it lasts and the next
 * sync tries again.
 */
final class PeerTraffic {
    /** How often the counters are read. */
    static final Duration READ_INTERVAL = Duration.ofSeconds(2);
    /** How often the maps and rules are compared in full with what they should be. */
    static final Duration VERIFY_INTERVAL = Duration.ofSeconds(30);
    private static final Logger LOG = LoggerFactory.getLogger(PeerTraffic.class);

    private final PeerCounters counters;
    private final Supplier<Map<String, PeerView>> peers;
    private final String nodeName;
    private final LongSupplier nanoClock;
    private final long verifyNanos;
    private volatile Map<String, long[]> counted = Map.of();
    /** What the table was last written for (IPv4 pod CIDRs by peer), and its counter names; null before. */
    private Map<String, List<IpPrefix>> written;
    private Set<String> writtenNames = Set.of();
    private long verifiedAt;
    private String error;

    /**
     * @param peers the peers to count now
     * @param verifyInterval how often the maps and rules are compared in full
     */
    PeerTraffic(PeerCounters counters, Supplier<Map<String, PeerView>> peers, String nodeName, LongSupplier nanoClock,
                Duration verifyInterval) {
        this.counters = Objects.requireNonNull(counters, "counters");
        this.peers = Objects.requireNonNull(peers, "peers");
        this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.verifyNanos = verifyInterval.toNanos();
    }

    /** Runs {@link #sync} on {@code scheduler} now and every {@link #READ_INTERVAL} after the last ended. */
    void start(ScheduledExecutorService scheduler) {
        scheduler.scheduleWithFixedDelay(this::sync, 0, READ_INTERVAL.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** One read, and the table written again where needed (see the class comment). */
    synchronized void sync() {
        Map<String, List<IpPrefix>> want = new TreeMap<>();
        peers.get().forEach((name, v) -> want.put(name, v.podCidrs().stream()
                .filter(c -> c.address() instanceof Inet4Address).toList()));
        try {
            if (!want.equals(written)) {
                write(want);
            } else if (!intact(counters.readCounters())) {
                LOG.warn("per-peer counters in table ip {} were changed outside the agent, restored (node={})",
                        PeerCounters.TABLE, nodeName);
                write(want);
            }
            error = null;
        } catch (NftException e) {
            if (!e.getMessage().equals(error)) {
                LOG.warn("cannot count bytes per peer: {} (node={})", e.getMessage(), nodeName);
                error = e.getMessage();
            }
        }
    }

    /** Whether the table is as last written: the counters just read, and in full when that is due. */
    private boolean intact(Map<String, long[]> now) {
        counted = now;
        if (!now.keySet().equals(writtenNames)) {
            return false;
        }
        long t = nanoClock.getAsLong();
        if (t - verifiedAt < verifyNanos) {
            return true;
        }
        verifiedAt = t;
        return PeerCounters.matches(counters.read(), written);
    }

    private void write(Map<String, List<IpPrefix>> want) {
        written = null;
        counters.ensure(want);
        counted = counters.readCounters();
        written = want;
        writtenNames = PeerCounters.counterNames(want.keySet());
        verifiedAt = nanoClock.getAsLong();
    }

    /** Bytes and packets per peer, as last read (peers not counted are missing). */
    Map<String, PeerCounters.Traffic> traffic(Set<String> of) {
        return PeerCounters.traffic(counted, of);
    }

    /** Bytes per peer and direction ("tx": to the peer's pods, "rx": from them), for the metrics. */
    List<Metrics.Sample> bytesByPeer(Set<String> of) {
        List<Metrics.Sample> out = new ArrayList<>();
        traffic(of).forEach((peer, t) -> {
            out.add(new Metrics.Sample(List.of(peer, "tx"), t.txBytes()));
            out.add(new Metrics.Sample(List.of(peer, "rx"), t.rxBytes()));
        });
        return out;
    }

    /**
     * Bytes per path and direction: the per-peer counts summed by each peer's current path ("none" while a peer
     * has none), so a peer's whole count moves with it when its path changes.
     */
    List<Metrics.Sample> bytesByPath(List<TunnelBackend> backends, List<PathStatus> statuses, Set<String> of) {
        Map<String, Long> tx = new LinkedHashMap<>();
        Map<String, Long> rx = new LinkedHashMap<>();
        for (TunnelBackend b : backends) {
            tx.put(b.kind().toString(), 0L);
            rx.put(b.kind().toString(), 0L);
        }
        Map<String, PeerCounters.Traffic> traffic = traffic(of);
        for (PathStatus s : statuses) {
            PeerCounters.Traffic t = traffic.get(s.peer());
            if (t != null) {
                String path = s.path() == null ? "none" : s.path().toString();
                tx.merge(path, t.txBytes(), Long::sum);
                rx.merge(path, t.rxBytes(), Long::sum);
            }
        }
        List<Metrics.Sample> out = new ArrayList<>();
        tx.forEach((path, v) -> out.add(new Metrics.Sample(List.of(path, "tx"), v)));
        rx.forEach((path, v) -> out.add(new Metrics.Sample(List.of(path, "rx"), v)));
        return out;
    }
}
