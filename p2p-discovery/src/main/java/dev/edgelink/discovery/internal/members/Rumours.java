package dev.edgelink.discovery.internal.members;

import dev.edgelink.libp2p.peer.PeerId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Rumour mongering: which connected members hear of a record that is new to us, and what waits to be announced to
 * each. A record (peer, sequence) is spread once: to at most {@code fanout} targets chosen at random among the
 * candidates (the members we are connected to), never to the peer it came from or the node it describes. Each
 * receiver that finds it new spreads it the same way, so it reaches every node in O(log N) hops; one that already
 * holds it wants nothing, and the announcement (peer id and sequence, no record) is all a duplicate costs. The few
 * nodes a rumour misses get the record from the periodic exchange.
 *
 * <p>Announcements for one target wait until its previous push has finished, and then go together in one push, so
 * a burst of new records costs one stream per target, not one per record. At most {@code maxQueuedPerTarget} wait
 * for a target (the oldest beyond that are dropped and counted: the periodic exchange carries them). Pure and
 * thread-safe: the caller opens the streams and says when each has finished.
 */
public final class Rumours {

    private final int fanout;
    private final int maxQueuedPerTarget;
    private final int memory;
    private final Random random;
    /** The newest sequence spread per peer, the {@code memory} most recent peers. */
    private final Map<PeerId, Long> spread;
    private final Map<PeerId, LinkedHashMap<PeerId, Long>> queued = new HashMap<>();
    private final Set<PeerId> busy = new HashSet<>();
    private long announcements;
    private long dropped;

    /**
     * @param fanout targets per record
     * @param maxQueuedPerTarget announcements waiting for one target at most
     * @param memory records whose last spread sequence is remembered (the view's capacity)
     * @param random chooses the targets
     */
    public Rumours(int fanout, int maxQueuedPerTarget, int memory, Random random) {
        this.fanout = fanout;
        this.maxQueuedPerTarget = maxQueuedPerTarget;
        this.memory = memory;
        this.random = random;
        this.spread = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<PeerId, Long> eldest) {
                return size() > Rumours.this.memory;
            }
        };
    }

    /**
     * Spreads a record that is new to us: queues its announcement for up to {@code fanout} of {@code candidates},
     * none in {@code exclude}. A record spread before in this or a newer sequence is not spread again.
     *
     * @return the targets chosen
     */
    public synchronized List<PeerId> spread(Exchange.Entry record, List<PeerId> candidates, Set<PeerId> exclude) {
        Long before = spread.get(record.peer());
        if (before != null && before >= record.seq()) {
            return List.of();
        }
        spread.put(record.peer(), record.seq());
        List<PeerId> pool = new ArrayList<>(candidates.size());
        for (PeerId c : candidates) {
            if (!exclude.contains(c) && !pool.contains(c)) {
                pool.add(c);
            }
        }
        int n = Math.min(fanout, pool.size());
        for (int i = 0; i < n; i++) {
            int j = i + random.nextInt(pool.size() - i);
            PeerId chosen = pool.get(j);
            pool.set(j, pool.get(i));
            pool.set(i, chosen);
            queue(chosen, record);
        }
        return List.copyOf(pool.subList(0, n));
    }

    private void queue(PeerId target, Exchange.Entry record) {
        LinkedHashMap<PeerId, Long> waiting = queued.computeIfAbsent(target, t -> new LinkedHashMap<>());
        waiting.remove(record.peer());
        waiting.put(record.peer(), record.seq());
        announcements++;
        if (waiting.size() > maxQueuedPerTarget) {
            PeerId oldest = waiting.keySet().iterator().next();
            waiting.remove(oldest);
            dropped++;
        }
    }

    /** Targets with announcements waiting and no push running. */
    public synchronized List<PeerId> ready() {
        List<PeerId> out = new ArrayList<>();
        queued.forEach((target, waiting) -> {
            if (!waiting.isEmpty() && !busy.contains(target)) {
                out.add(target);
            }
        });
        return out;
    }

    /**
     * Starts a push to {@code target}: takes up to {@code max} of its waiting announcements, oldest first. The
     * target is busy (nothing more is taken for it) until {@link #finished}; nothing taken means not busy.
     */
    public synchronized List<Exchange.Entry> take(PeerId target, int max) {
        LinkedHashMap<PeerId, Long> waiting = queued.get(target);
        if (waiting == null || waiting.isEmpty() || busy.contains(target)) {
            return List.of();
        }
        List<Exchange.Entry> out = new ArrayList<>(Math.min(max, waiting.size()));
        var it = waiting.entrySet().iterator();
        while (it.hasNext() && out.size() < max) {
            var e = it.next();
            out.add(new Exchange.Entry(e.getKey(), e.getValue()));
            it.remove();
        }
        if (waiting.isEmpty()) {
            queued.remove(target);
        }
        busy.add(target);
        return out;
    }

    /** The push to {@code target} has ended (either way); whether more waits for it. */
    public synchronized boolean finished(PeerId target) {
        busy.remove(target);
        LinkedHashMap<PeerId, Long> waiting = queued.get(target);
        return waiting != null && !waiting.isEmpty();
    }

    /** Forgets what waits for {@code target} (we are no longer connected to it); counted as dropped. */
    public synchronized void drop(PeerId target) {
        LinkedHashMap<PeerId, Long> waiting = queued.remove(target);
        if (waiting != null) {
            dropped += waiting.size();
        }
    }

    /** Announcements queued since start, one per record and target. */
    public synchronized long announcements() {
        return announcements;
    }

    /** Announcements dropped: over the per-target bound, or for a target we lost. */
    public synchronized long dropped() {
        return dropped;
    }
}
