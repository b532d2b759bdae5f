package dev.edgelink.libp2p.host;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the connections the host refused, by {@link Refusal}, and reports them without letting a flood write a
 * line per connection: the first refusal of a reason is reported at once, later ones at most once per interval as
 * a count with the last one's details. A count left over when a flood stops is reported when its interval ends
 * (a task on the scheduler), so the log adds up to the counters.
 */
final class Refusals {

    /** Time between two reports of one reason. */
    static final Duration LOG_INTERVAL = Duration.ofSeconds(10);

    private static final Logger LOG = LoggerFactory.getLogger(Refusals.class);

    /** Runs a task after a delay (the host's event loops; tests run it by hand). */
    interface Scheduler {
        void schedule(Runnable task, long delayNanos);
    }

    /** One report: {@code count} refusals for {@code reason} since the previous report, the last with these details. */
    record Report(Refusal reason, long count, String lastDetail) {
    }

    private static final class Reason {
        private final Refusal refusal;
        private final AtomicLong total = new AtomicLong();
        private long unreported;
        private String lastDetail;
        private long lastReportNanos;
        private boolean everReported;
        private boolean flushScheduled;

        Reason(Refusal refusal) {
            this.refusal = refusal;
        }
    }

    private final Map<Refusal, Reason> reasons = new EnumMap<>(Refusal.class);
    private final LongSupplier nanoTime;
    private final long intervalNanos;
    private final Scheduler scheduler;
    private final Consumer<Report> sink;

    /**
     * @param sink where reports go ({@link #logTo(HostConfig)} in the host)
     */
    Refusals(LongSupplier nanoTime, Duration interval, Scheduler scheduler, Consumer<Report> sink) {
        this.nanoTime = nanoTime;
        this.intervalNanos = interval.toNanos();
        this.scheduler = scheduler;
        this.sink = sink;
        for (Refusal r : Refusal.values()) {
            reasons.put(r, new Reason(r));
        }
    }

    /** Counts one refusal; {@code detail} is key=value text ({@code remote=...}, {@code peer=...}). */
    void refused(Refusal refusal, String detail) {
        Reason r = reasons.get(refusal);
        r.total.incrementAndGet();
        Report report = null;
        long flushIn = -1;
        synchronized (r) {
            r.unreported++;
            r.lastDetail = detail;
            long now = nanoTime.getAsLong();
            if (!r.everReported || now - r.lastReportNanos >= intervalNanos) {
                report = take(r, now);
            } else if (!r.flushScheduled) {
                r.flushScheduled = true;
                flushIn = r.lastReportNanos + intervalNanos - now;
            }
        }
        if (report != null) {
            sink.accept(report);
        }
        if (flushIn >= 0) {
            scheduler.schedule(() -> flush(r), flushIn);
        }
    }

    private void flush(Reason r) {
        Report report;
        synchronized (r) {
            r.flushScheduled = false;
            if (r.unreported == 0) {
                return;
            }
            report = take(r, nanoTime.getAsLong());
        }
        sink.accept(report);
    }

    private static Report take(Reason r, long now) {
        Report report = new Report(r.refusal, r.unreported, r.lastDetail);
        r.unreported = 0;
        r.lastReportNanos = now;
        r.everReported = true;
        return report;
    }

    /** Refusals so far, every reason present. */
    Map<Refusal, Long> counts() {
        Map<Refusal, Long> out = new EnumMap<>(Refusal.class);
        reasons.forEach((refusal, r) -> out.put(refusal, r.total.get()));
        return out;
    }

    /**
     * The host's sink: one line per report, WARN for the limits a flood runs into, INFO for handshakes that failed
     * or timed out and for peers the gate refused (those happen in normal operation too).
     */
    static Consumer<Report> logTo(HostConfig config) {
        return report -> {
            String what = describe(report.reason(), config);
            if (isFlood(report.reason())) {
                LOG.warn("{}: count={} since the last such line, last {}", what, report.count(), report.lastDetail());
            } else {
                LOG.info("{}: count={} since the last such line, last {}", what, report.count(), report.lastDetail());
            }
        };
    }

    private static boolean isFlood(Refusal r) {
        return r == Refusal.PENDING_PER_IP || r == Refusal.PENDING_TOTAL || r == Refusal.CONNECTIONS;
    }

    static String describe(Refusal r, HostConfig config) {
        return switch (r) {
            case PENDING_PER_IP -> "inbound handshakes closed, their source had more than maxPendingPerIp="
                    + config.maxPendingPerIp() + " running (the oldest go first)";
            case PENDING_TOTAL -> "inbound handshakes closed, more than maxPendingHandshakes="
                    + config.maxPendingHandshakes() + " were running (the oldest go first)";
            case HANDSHAKE_DEADLINE -> "inbound connections closed unauthenticated after handshakeTimeout="
                    + config.handshakeTimeout().toMillis() + "ms";
            case HANDSHAKE_FAILED -> "inbound handshakes failed before the peer was authenticated";
            case CONNECTIONS -> "authenticated connections refused, maxConnections=" + config.maxConnections()
                    + " are established";
            case PEER_GATE -> "authenticated peers refused by the peer gate";
        };
    }
}
