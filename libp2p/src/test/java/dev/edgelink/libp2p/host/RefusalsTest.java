package dev.edgelink.libp2p.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Refusal counting and its rate-limited report, on an injected clock and scheduler. */
class RefusalsTest {

    private static final long SECOND = 1_000_000_000L;

    private long now = 1_000 * SECOND;
    private final List<Refusals.Report> reports = new ArrayList<>();
    private final List<Runnable> tasks = new ArrayList<>();
    private final List<Long> delays = new ArrayList<>();
    private final Refusals refusals = new Refusals(() -> now, Duration.ofSeconds(10), (task, delay) -> {
        tasks.add(task);
        delays.add(delay);
    }, reports::add);

    @Test
    void theFirstIsReportedAtOnceThenAtMostOncePerIntervalWithTheCount() {
        refusals.refused(Refusal.PENDING_PER_IP, "remote=a");
        assertEquals(List.of(new Refusals.Report(Refusal.PENDING_PER_IP, 1, "remote=a")), reports);

        now += 2 * SECOND;
        for (int i = 0; i < 999; i++) {
            refusals.refused(Refusal.PENDING_PER_IP, "remote=b" + i);
        }
        assertEquals(1, reports.size());
        assertEquals(List.of(8 * SECOND), delays);

        now += 10 * SECOND - 2 * SECOND - 1;
        refusals.refused(Refusal.PENDING_PER_IP, "remote=c");
        assertEquals(1, reports.size(), "at t - 1 no second report");
        now += 1;
        tasks.get(0).run();
        assertEquals(new Refusals.Report(Refusal.PENDING_PER_IP, 1000, "remote=c"), reports.get(1));
        assertEquals(1001L, refusals.counts().get(Refusal.PENDING_PER_IP));
    }

    @Test
    void aRefusalAfterTheIntervalIsReportedAtOnceAndAnIdleFlushSaysNothing() {
        refusals.refused(Refusal.HANDSHAKE_DEADLINE, "remote=a");
        now += SECOND;
        refusals.refused(Refusal.HANDSHAKE_DEADLINE, "remote=b");
        now += 9 * SECOND;
        refusals.refused(Refusal.HANDSHAKE_DEADLINE, "remote=c");
        assertEquals(List.of(new Refusals.Report(Refusal.HANDSHAKE_DEADLINE, 1, "remote=a"),
                new Refusals.Report(Refusal.HANDSHAKE_DEADLINE, 2, "remote=c")), reports);
        tasks.get(0).run();
        assertEquals(2, reports.size());
    }

    @Test
    void reasonsAreCountedAndReportedApart() {
        refusals.refused(Refusal.PEER_GATE, "peer=x");
        refusals.refused(Refusal.CONNECTIONS, "peer=y");
        refusals.refused(Refusal.PEER_GATE, "peer=x");

        Map<Refusal, Long> counts = refusals.counts();
        assertEquals(2L, counts.get(Refusal.PEER_GATE));
        assertEquals(1L, counts.get(Refusal.CONNECTIONS));
        assertEquals(0L, counts.get(Refusal.PENDING_TOTAL));
        assertEquals(Refusal.values().length, counts.size());
        assertEquals(2, reports.size());
    }
}
