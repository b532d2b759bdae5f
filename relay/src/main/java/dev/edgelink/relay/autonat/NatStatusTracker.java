package dev.edgelink.relay.autonat;

import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.relay.autonat.AutonatMessage.ResponseStatus;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The confidence rule that turns AutoNAT answers into a {@link NatStatus}. Each peer's latest conclusive answer
 * counts once (OK: dialed; E_DIAL_ERROR: could not dial); refusals and errors say nothing about us and are
 * ignored. The status is PUBLIC when at least {@code threshold} peers dialed us and they outnumber those that
 * failed, PRIVATE the other way round, otherwise UNKNOWN. Answers older than {@code maxAgeNanos} are forgotten;
 * at most {@code maxPeers} peers are remembered (the oldest answer goes first). Pure: time is passed in.
 * Thread-safe.
 */
public final class NatStatusTracker {

    private record Answer(boolean dialed, long atNanos) {
    }

    private final int threshold;
    private final long maxAgeNanos;
    private final int maxPeers;
    private final Map<PeerId, Answer> answers = new LinkedHashMap<>();

    public NatStatusTracker(int threshold, long maxAgeNanos, int maxPeers) {
        if (threshold < 1 || maxPeers < threshold) {
            throw new IllegalArgumentException("threshold must be >= 1 and <= maxPeers");
        }
        this.threshold = threshold;
        this.maxAgeNanos = maxAgeNanos;
        this.maxPeers = maxPeers;
    }

    /** Records {@code peer}'s answer; returns the status after it. */
    public synchronized NatStatus record(PeerId peer, ResponseStatus status, long nowNanos) {
        if (status == ResponseStatus.OK || status == ResponseStatus.E_DIAL_ERROR) {
            answers.remove(peer);
            answers.put(peer, new Answer(status == ResponseStatus.OK, nowNanos));
            while (answers.size() > maxPeers) {
                answers.remove(answers.keySet().iterator().next());
            }
        }
        return status(nowNanos);
    }

    public synchronized NatStatus status(long nowNanos) {
        answers.values().removeIf(a -> nowNanos - a.atNanos() > maxAgeNanos);
        long dialed = answers.values().stream().filter(Answer::dialed).count();
        long failed = answers.size() - dialed;
        if (dialed >= threshold && dialed > failed) {
            return NatStatus.PUBLIC;
        }
        if (failed >= threshold && failed > dialed) {
            return NatStatus.PRIVATE;
        }
        return NatStatus.UNKNOWN;
    }
}
