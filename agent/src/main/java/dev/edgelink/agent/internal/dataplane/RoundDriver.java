package dev.edgelink.agent.internal.dataplane;

import dev.edgelink.agent.internal.metrics.AgentMetrics;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.path.PathStatus;
import dev.edgelink.dataplane.reconcile.DataplaneLoop;
import dev.edgelink.libp2p.threads.TaskGuard;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Runs the data plane rounds on one thread: a round starts every probe interval (the first at once); one that overran
 * is followed by the next {@link #MIN_ROUND_GAP} later, never by a burst of rounds to catch up. A round follows the
 * underlay ({@link UnderlayFollower}), makes the userspace device again if it is gone (the reconciler ensures kernel
 * devices only), runs the {@link DataplaneLoop} once, and then, also when the loop failed, counts every peer's path
 * change and tells the path listener.
 *
 * <p>A round that fails is counted and logged by the {@link TaskGuard} (task {@link NodeDataplane#TASK}) and the next
 * one runs at its time: a round recomputes everything from the selector's state and the kernel (probes are due by
 * time, not marked in flight; the reconciler compares plans with the kernel), so nothing depends on the failed one.
 */
final class RoundDriver {
    /** The least time between the end of one data plane round and the start of the next. */
    static final Duration MIN_ROUND_GAP = Duration.ofMillis(20);

    private final ScheduledExecutorService scheduler;
    private final Duration interval;
    private final DataplaneDevices devices;
    private final UnderlayFollower underlay;
    private final DataplaneLoop loop;
    private final AgentMetrics metrics;
    private final Supplier<Set<String>> peers;
    private final Runnable roundStarts;
    private final Map<String, PathKind> lastPaths = new HashMap<>();
    private volatile Consumer<String> pathListener = peer -> { };

    /**
     * @param interval a round starts this long after the last one started (the probe interval)
     * @param peers the names of the current peers (path changes of others are forgotten)
     * @param roundStarts run first in every round (the activity feed takes in the traffic seen since the last)
     */
    RoundDriver(ScheduledExecutorService scheduler, Duration interval, DataplaneDevices devices,
                UnderlayFollower underlay, DataplaneLoop loop, AgentMetrics metrics, Supplier<Set<String>> peers,
                Runnable roundStarts) {
        this.scheduler = scheduler;
        this.interval = interval;
        this.devices = devices;
        this.underlay = underlay;
        this.loop = loop;
        this.metrics = metrics;
        this.peers = peers;
        this.roundStarts = roundStarts;
    }

    /** Told the node name of a peer whose path changed, on the round's thread right after the round. */
    void setPathListener(Consumer<String> listener) {
        this.pathListener = listener;
    }

    /** Starts the rounds (see the class comment). */
    void start() {
        scheduler.execute(this::timedRound);
    }

    /** One round, then the next one is scheduled, also after a failed round (whose failure goes on to the guard). */
    private void timedRound() {
        long start = System.nanoTime();
        try {
            round();
        } finally {
            long left = interval.toNanos() - (System.nanoTime() - start);
            try {
                scheduler.schedule(this::timedRound, Math.max(left, MIN_ROUND_GAP.toNanos()), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException ignored) {
                // closed: the loop ends
            }
        }
    }

    /** One round; path changes are looked at also when the loop failed in it. */
    private void round() {
        try {
            underlay.follow();
            if (devices.userspace() != null && devices.usable().contains(PathKind.DIRECT)) {
                devices.userspace().ensure(devices.local());
            }
            roundStarts.run();
            loop.runOnce();
        } finally {
            metrics.roundRan();
            notifyPathChanges();
        }
    }

    /** Counts every peer's path change since the last round and tells the path listener. */
    private void notifyPathChanges() {
        synchronized (lastPaths) {
            for (PathStatus s : loop.selector().statuses()) {
                PathKind before = lastPaths.get(s.peer());
                if (s.path() != before && (s.path() != null || lastPaths.containsKey(s.peer()))) {
                    metrics.pathChanged(s.path());
                    pathListener.accept(s.peer());
                }
                lastPaths.put(s.peer(), s.path());
            }
            lastPaths.keySet().retainAll(peers.get());
        }
    }
}
