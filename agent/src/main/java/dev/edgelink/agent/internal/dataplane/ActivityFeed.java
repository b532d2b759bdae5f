package dev.edgelink.agent.internal.dataplane;

import dev.edgelink.dataplane.activity.PeerActivity;
import dev.edgelink.dataplane.nat.PeerCounters;
import dev.edgelink.dataplane.path.PathSelector;
import dev.edgelink.dataplane.tunnel.TunnelService;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * What the data plane learns besides its probes, handed to the path selector: each peer's pod traffic, read from
 * the counts the data plane keeps anyway (the per-peer nftables counters as last read, the userspace path's
 * per-peer packets) and compared round by round in a {@link PeerActivity}; a pod's packet that waits for a peer's
 * tunnel stream (the demand: traffic now, and the demand listener, the connection manager, is told); and a change
 * of our own side that the rungs' verdicts depend on (our reachability, our underlay subnets), after which every
 * peer's rungs are asked again at the start of the next round instead of at the peer's next record.
 */
final class ActivityFeed {
    /** The {@link PeerActivity} source of the nftables counts. */
    static final String COUNTERS = "nft";
    /** The {@link PeerActivity} source of the userspace path's packet counts. */
    static final String TUNNEL = "tunnel";

    private final PeerActivity activity;
    private final PathSelector selector;
    private final LongSupplier clock;
    private final AtomicBoolean localChanged = new AtomicBoolean();
    private volatile Consumer<String> demandListener = peer -> { };

    ActivityFeed(PeerActivity activity, PathSelector selector, LongSupplier clock) {
        this.activity = Objects.requireNonNull(activity, "activity");
        this.selector = Objects.requireNonNull(selector, "selector");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    PeerActivity activity() {
        return activity;
    }

    /** Told the node name of a peer whose pods' packets wait for its tunnel stream; must not block. */
    void setDemandListener(Consumer<String> listener) {
        demandListener = Objects.requireNonNull(listener, "listener");
    }

    /** Our side changed: the next {@link #roundStarts} asks every peer's rungs again. Any thread. */
    void localChanged() {
        localChanged.set(true);
    }

    /** The userspace path's demand listener (on the tunnel's timer thread): traffic now, and the listener is told. */
    void demand(String peer) {
        long now = clock.getAsLong();
        activity.traffic(peer, now);
        selector.onTraffic(peer, now);
        demandListener.accept(peer);
    }

    /**
     * At the start of a data plane round, on its thread: every peer's rungs are asked again if our side changed
     * since the last round; then the counts are compared with the last round's and the selector hears of every
     * peer that had traffic meanwhile.
     *
     * @param counted the nftables counts as last read (peers not counted are missing)
     * @param tunnel the userspace data path, if it runs
     * @param peers the peers the data plane has now (the others are forgotten)
     */
    void roundStarts(Map<String, PeerCounters.Traffic> counted, Optional<TunnelService> tunnel,
                     Collection<String> peers) {
        roundStarts(counted, tunnel.map(ActivityFeed::tunnelPackets).orElse(Map.of()), peers);
    }

    /** As {@link #roundStarts(Map, Optional, Collection)}, with the userspace path's packets per peer. */
    void roundStarts(Map<String, PeerCounters.Traffic> counted, Map<String, Long> tunnelPackets,
                     Collection<String> peers) {
        long now = clock.getAsLong();
        if (localChanged.getAndSet(false)) {
            selector.reevaluate(now);
        }
        activity.retain(peers);
        Map<String, Long> packets = new HashMap<>();
        counted.forEach((peer, t) -> packets.put(peer, t.txPackets() + t.rxPackets()));
        tell(activity.observe(COUNTERS, packets, now), now);
        tell(activity.observe(TUNNEL, tunnelPackets, now), now);
    }

    private void tell(List<String> moved, long now) {
        moved.forEach(peer -> selector.onTraffic(peer, now));
    }

    /** Packets each peer sent and received on the userspace path so far. */
    static Map<String, Long> tunnelPackets(TunnelService tunnel) {
        Map<String, Long> out = new HashMap<>();
        for (String peer : tunnel.peers()) {
            tunnel.stats(peer).ifPresent(s -> out.put(peer, s.txPackets() + s.rxPackets()));
        }
        return out;
    }
}
