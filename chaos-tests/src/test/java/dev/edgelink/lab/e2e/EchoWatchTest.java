package dev.edgelink.lab.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What the answered peers' echo counts say about the data plane loop over the window. */
class EchoWatchTest {
    private static final long S = 1_000_000_000L;

    @Test
    void aPeerProbedEveryRoundIsNeverSilentLongAndBoundsTheRounds() {
        EchoWatch w = new EchoWatch(0, new long[] {7, 0});
        for (int i = 1; i <= 10; i++) {
            w.sample(i * S / 2, new long[] {7 + i, i / 2});
        }
        EchoWatch.Summary s = w.finish(5 * S + S / 10, new long[] {17, 5});
        assertArrayEquals(new long[] {10, 5}, s.echoes());
        assertEquals(2, s.echoed());
        assertEquals(1.0, s.maxSilenceS(), 1e-9);
        assertEquals(10, s.roundsAtLeast());
        assertEquals(21, s.roundsAtMost());
    }

    @Test
    void aStallShowsAsTheLongestSilenceCountingTheWindowsEdges() {
        EchoWatch w = new EchoWatch(0, new long[] {0, 0, 0});
        w.sample(1 * S, new long[] {1, 1, 0});
        w.sample(2 * S, new long[] {2, 2, 0});
        w.sample(13 * S, new long[] {3, 2, 0});
        EchoWatch.Summary s = w.finish(14 * S, new long[] {3, 2, 0});
        assertEquals(2, s.echoed());
        assertEquals(12.0, s.maxSilenceS(), 1e-9);
        assertEquals(11.0, s.medianSilenceS(), 1e-9);
    }

    @Test
    void noEchoAtAllLeavesNoSilenceAndNoBound() {
        EchoWatch.Summary s = new EchoWatch(0, new long[] {4}).finish(60 * S, new long[] {4});
        assertEquals(0, s.echoed());
        assertTrue(Double.isNaN(s.maxSilenceS()));
        assertEquals(0, s.roundsAtLeast());
    }
}
