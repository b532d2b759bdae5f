package dev.edgelink.lab.e2e;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The answered peers' probe echoes over the measuring window, from the responders' counts sampled every 100 ms or
 * so: how many each peer answered, and the longest time each went without one. It needs nothing from the agent, so
 * it reads the same before and after changes to the data plane:
 *
 * <ul>
 *   <li>a healthy loop probes every verified peer once every round or every other round (a probe is due one probe
 *   interval after the last one was sent, and rounds start at most that often), so a peer silent for seconds means
 *   the loop stopped for that long;</li>
 *   <li>a round probes a peer at most once, so the most echoes one peer got is a lower bound on the rounds that ran
 *   in the window, and twice that plus one an upper bound (for a peer verified the whole window).</li>
 * </ul>
 *
 * Thread-safe: a sampler thread calls {@link #sample}, the bench {@link #finish}.
 */
final class EchoWatch {
    private final long[] base;
    private final long[] last;
    private final long[] lastChange;
    private final long[] maxSilence;

    /**
     * What the window saw.
     *
     * @param echoes per answered peer, the echoes in the window
     * @param echoed the peers with at least one
     * @param maxSilenceS the longest time one of those went without an echo (the window's edges count as echoes)
     * @param medianSilenceS the median over those peers of each one's longest silence
     */
    record Summary(long[] echoes, int echoed, double maxSilenceS, double medianSilenceS) {
        /** At least this many rounds probed: the most echoes of one peer. */
        long roundsAtLeast() {
            return Arrays.stream(echoes).max().orElse(0);
        }

        /** At most this many: a peer verified all along is probed at least every other round. */
        long roundsAtMost() {
            return 2 * roundsAtLeast() + 1;
        }
    }

    /** Starts watching at {@code nowNanos} with the responders' counts {@code counts} (one per answered peer). */
    EchoWatch(long nowNanos, long[] counts) {
        base = counts.clone();
        last = counts.clone();
        lastChange = new long[counts.length];
        Arrays.fill(lastChange, nowNanos);
        maxSilence = new long[counts.length];
    }

    /** One sample: a peer whose count moved had an echo since the last sample. */
    synchronized void sample(long nowNanos, long[] counts) {
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] != last[i]) {
                maxSilence[i] = Math.max(maxSilence[i], nowNanos - lastChange[i]);
                lastChange[i] = nowNanos;
                last[i] = counts[i];
            }
        }
    }

    /** The last sample, and the summary up to it. */
    synchronized Summary finish(long nowNanos, long[] counts) {
        sample(nowNanos, counts);
        long[] echoes = new long[counts.length];
        List<Double> silences = new ArrayList<>();
        for (int i = 0; i < counts.length; i++) {
            echoes[i] = counts[i] - base[i];
            if (echoes[i] > 0) {
                silences.add(Math.max(maxSilence[i], nowNanos - lastChange[i]) / 1e9);
            }
        }
        double max = silences.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        double median = silences.isEmpty() ? Double.NaN : Bench.median(silences);
        return new Summary(echoes, silences.size(), max, median);
    }
}
