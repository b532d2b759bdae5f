package dev.edgelink.agent.internal.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.dataplane.activity.PeerActivity;
import dev.edgelink.dataplane.backend.KernelObjects;
import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.StaticPeer;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.backend.Verdict;
import dev.edgelink.dataplane.nat.PeerCounters;
import dev.edgelink.dataplane.path.PathSelector;
import dev.edgelink.dataplane.path.PathStatus;
import dev.edgelink.dataplane.path.PeerPathMachine;
import dev.edgelink.dataplane.path.ProbeResult;
import dev.edgelink.net.IpPrefix;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The feed between the data plane's counts and its path selector, over fake backends (the kernel one behind the
 * agent's NAT gate) and an injected clock: every probe answers, so what a round does is what the feed told the
 * selector.
 */
class ActivityFeedTest {
    private static final long INTERVAL = 10;
    private static final long IDLE_AFTER = 1_000;
    private static final PeerPathMachine.Settings SETTINGS = new PeerPathMachine.Settings(3,
            Duration.ofNanos(INTERVAL), Duration.ofNanos(100), Duration.ofNanos(IDLE_AFTER), Duration.ofNanos(100),
            Duration.ofNanos(800));
    private static final PeerView NODE2 = StaticPeer.of("node2", IpPrefix.parse("10.244.2.0/24"),
            IpPrefix.literal("10.0.0.2"), null);
    private static final Set<String> PEERS = Set.of("node2");

    private final AtomicLong clock = new AtomicLong();
    private final AtomicReference<String> natGate = new AtomicReference<>();
    private final List<String> probed = new ArrayList<>();

    /** A rung that is available and eligible for everyone; it never touches a kernel. */
    private record FakeBackend(PathKind kind) implements TunnelBackend {
        @Override
        public Verdict available() {
            return Verdict.yes(kind + ": here");
        }

        @Override
        public void ensureDevice(LocalNode local) {
        }

        @Override
        public Verdict eligibility(PeerView peer) {
            return Verdict.yes(kind + ": fine");
        }

        @Override
        public KernelObjects objectsFor(PeerView peer, List<IpPrefix> destinations) {
            return KernelObjects.NONE;
        }

        @Override
        public boolean ensurePeer(PeerView peer) {
            return false;
        }

        @Override
        public boolean removePeer(PeerView peer) {
            return false;
        }

        @Override
        public int overheadBytes() {
            return 0;
        }

        @Override
        public List<Integer> ownedLinks() {
            return List.of();
        }
    }

    /** hostgw behind the NAT gate (null: eligible), then direct. */
    private PathSelector selector(PathKind... rungs) {
        List<TunnelBackend> ladder = new ArrayList<>();
        for (PathKind k : rungs) {
            FakeBackend b = new FakeBackend(k);
            ladder.add(k.kernel() ? new NatAwareBackend(b, p -> natGate.get()) : b);
        }
        PathSelector s = new PathSelector(ladder, SETTINGS);
        s.upsertPeer(NODE2, clock.get());
        return s;
    }

    /** One round as the data plane runs it: the feed first, then the selector with probes that all answer. */
    private void round(ActivityFeed feed, PathSelector s, Map<String, PeerCounters.Traffic> counted,
                       Map<String, Long> tunnel) {
        long now = clock.get();
        feed.roundStarts(counted, tunnel, PEERS);
        s.tick(now);
        for (PathSelector.ProbeRequest r : s.dueProbes(now)) {
            probed.add(r.path() + "@" + now);
            s.onProbeResult(r.peer().nodeName(), r.path(), ProbeResult.success(1), now);
        }
    }

    private static Map<String, PeerCounters.Traffic> nft(long packets) {
        return Map.of("node2", new PeerCounters.Traffic(packets * 100, packets, 0, 0));
    }

    private PathStatus status(PathSelector s) {
        return s.status("node2").orElseThrow();
    }

    @Test
    void aGateThatFlipsMakesTheKernelRungIneligibleInTheNextRound() {
        PathSelector s = selector(PathKind.HOSTGW, PathKind.DIRECT);
        ActivityFeed feed = new ActivityFeed(new PeerActivity(Duration.ofNanos(IDLE_AFTER)), s, clock::get);
        round(feed, s, Map.of(), Map.of());
        assertEquals(PathKind.HOSTGW, status(s).path());

        natGate.set("a NAT between us"); // our reachability changed; node2's record did not
        clock.set(INTERVAL);
        round(feed, s, Map.of(), Map.of());
        assertEquals(PathKind.HOSTGW, status(s).path(), "nobody told the data plane");

        feed.localChanged();
        clock.set(2 * INTERVAL);
        round(feed, s, Map.of(), Map.of());

        assertEquals(PathKind.DIRECT, status(s).path());
        assertEquals("direct: hostgw: a NAT between us", status(s).reason());
    }

    @Test
    void countsThatGrewWakeAParkedPeerFromEitherSource() {
        PathSelector s = selector(PathKind.DIRECT);
        ActivityFeed feed = new ActivityFeed(new PeerActivity(Duration.ofNanos(IDLE_AFTER)), s, clock::get);
        round(feed, s, nft(5), Map.of("node2", 7L));
        clock.set(IDLE_AFTER);
        round(feed, s, nft(5), Map.of("node2", 7L));
        assertTrue(status(s).parked(), "no count moved: idle since it was added");

        clock.set(IDLE_AFTER + 1);
        round(feed, s, nft(5), Map.of("node2", 8L));
        assertFalse(status(s).parked(), "the userspace path's count moved");
        assertEquals("direct@" + (IDLE_AFTER + 1), probed.get(probed.size() - 1), "probed in that round");
        assertEquals(OptionalLong.of(IDLE_AFTER + 1), feed.activity().lastTraffic("node2"));

        clock.set(2 * IDLE_AFTER + 1);
        round(feed, s, nft(5), Map.of("node2", 8L));
        assertTrue(status(s).parked());
        clock.set(2 * IDLE_AFTER + 2);
        round(feed, s, nft(6), Map.of("node2", 8L));
        assertFalse(status(s).parked(), "the nftables count moved");
    }

    @Test
    void aPacketWaitingForAStreamIsTrafficNowAndTellsTheDemandListener() {
        PathSelector s = selector(PathKind.DIRECT);
        ActivityFeed feed = new ActivityFeed(new PeerActivity(Duration.ofNanos(IDLE_AFTER)), s, clock::get);
        List<String> wanted = new ArrayList<>();
        feed.setDemandListener(wanted::add);
        round(feed, s, Map.of(), Map.of());
        clock.set(IDLE_AFTER);
        round(feed, s, Map.of(), Map.of());
        assertTrue(status(s).parked());

        clock.set(IDLE_AFTER + 3);
        feed.demand("node2");

        assertEquals(List.of("node2"), wanted);
        assertFalse(status(s).parked());
        assertTrue(feed.activity().active("node2", IDLE_AFTER + 3));
    }

    @Test
    void aDepartedPeersTrafficIsForgotten() {
        PathSelector s = selector(PathKind.DIRECT);
        ActivityFeed feed = new ActivityFeed(new PeerActivity(Duration.ofNanos(IDLE_AFTER)), s, clock::get);
        feed.demand("node9");
        assertTrue(feed.activity().lastTraffic("node9").isPresent());

        round(feed, s, Map.of(), Map.of());

        assertEquals(OptionalLong.empty(), feed.activity().lastTraffic("node9"));
    }
}
