package dev.edgelink.dataplane.path;

import dev.edgelink.dataplane.backend.PathKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The path choice for one peer, as an explicit state machine with pure transitions: no sockets, no clock (every
 * call takes {@code nowNanos}), no kernel. The caller ({@link PathSelector}) asks which path to probe, reports the
 * outcome, and makes the kernel match {@link #plan()}.
 *
 * <pre>
 *            tick                      probe ok (trial)
 *   NEW ------------> SEARCHING -----------------------------> ACTIVE  <----------------+
 *                      |  ^  N failures: next rung down          | |  retry of a better  |
 *                      |  +--------------+                       | |  rung is due        |
 *                      | no rung left                            | v                     |
 *                      v                 N failures, rung below  |  UPGRADING -----------+
 *                   FAILED  <------------------------------------+  (ok: switch;         |
 *                      |     N failures, nothing below            \  N failures: back,   |
 *                      +-- backoff over: SEARCHING from the top     \ retry later) ------+
 *                      +-- probe of the kept path ok: ACTIVE
 * </pre>
 *
 * <p>Rules. A path carries pod traffic only after a probe crossed it: a candidate is tried through a /32 route to
 * the peer's tunnel address (the "trial") while pod traffic stays on the active path; on the first echo the pod
 * routes are switched (make-before-break: the new route replaces the old one in one step, the old path's
 * neighbour and FDB entries are removed after). The active path is probed every {@code probeInterval}; after
 * {@code failuresToFall} consecutive failures the selector looks for the next usable rung down, keeping the failing
 * path installed until a lower one has been verified (or for good, in FAILED, when nothing else is left).
 * Better rungs that failed are retried with exponential backoff ({@code initialBackoff}, doubling up to
 * {@code maxBackoff}). While a trial runs, the active path is not probed (a trial lasts at most
 * {@code failuresToFall} probes).
 *
 * <p>Probing follows traffic. The caller reports the peer's pod traffic ({@link #onTraffic}); a peer with none for
 * {@code idleTimeout} is idle (a new peer counts as having had traffic when it was added, so a joining peer is
 * verified promptly). An idle peer's kernel path is probed every {@code idleProbeInterval} instead of every
 * {@code probeInterval} (after a failed probe at {@code probeInterval} again, until it passes or the path falls). An
 * idle peer's userspace path (direct, relayed: each needs a libp2p connection, which an idle peer loses) is
 * <em>parked</em>: not probed at all and kept with its routes; no better userspace rung is tried (a better kernel
 * rung still may be: it needs no connection), and in FAILED the ladder is not retried. The first traffic reported
 * makes the peer active and its path due at once; a probe that then fails counts as any other. A peer without a
 * path is searched for whether idle or not: it must get a route. The state stays what it was (ACTIVE, or FAILED
 * with the path kept); {@link PathStatus#parked()} and the reason say it is parked.
 */
public final class PeerPathMachine {

    /** The states of one peer's path choice. */
    public enum State {
        /** Known, nothing tried yet. */
        NEW,
        /** No verified path (or the active one failed): probing a candidate through its trial route. */
        SEARCHING,
        /** A verified path carries the pod traffic and is probed periodically. */
        ACTIVE,
        /** A path is active and a better rung is on trial. */
        UPGRADING,
        /** No rung passed. The last path (if any) stays installed and probed; the ladder is retried after backoff. */
        FAILED
    }

    /**
     * One rung as it stands for this peer.
     *
     * @param usable available on this kernel and eligible for this peer
     * @param reason the backend's verdict in words
     */
    public record Rung(PathKind kind, boolean usable, String reason) {
        public Rung {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * The machine's limits, each enforced here and nowhere else.
     *
     * @param failuresToFall consecutive probe failures after which a path is given up
     * @param probeInterval time between probes of an active peer's path (and of every trial)
     * @param idleProbeInterval time between probes of an idle peer's kernel path
     * @param idleTimeout a peer without pod traffic for this long is idle
     * @param initialBackoff first wait before a failed better rung (or, in FAILED, the ladder) is tried again
     * @param maxBackoff the longest such wait
     */
    public record Settings(int failuresToFall, Duration probeInterval, Duration idleProbeInterval,
                           Duration idleTimeout, Duration initialBackoff, Duration maxBackoff) {
        public Settings {
            if (failuresToFall < 1) {
                throw new IllegalArgumentException("failuresToFall must be at least 1, got " + failuresToFall);
            }
            if (probeInterval.isNegative() || initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
                throw new IllegalArgumentException("need 0 <= probeInterval, 0 <= initialBackoff <= maxBackoff");
            }
            if (idleProbeInterval.compareTo(probeInterval) < 0 || idleTimeout.isNegative() || idleTimeout.isZero()) {
                throw new IllegalArgumentException("need probeInterval <= idleProbeInterval and 0 < idleTimeout");
            }
        }
    }

    private final String peer;
    private final Settings settings;
    private final Map<PathKind, Long> retryAt = new EnumMap<>(PathKind.class);
    private final Map<PathKind, Long> backoff = new EnumMap<>(PathKind.class);
    private final Map<PathKind, String> lastFailure = new EnumMap<>(PathKind.class);
    private List<Rung> rungs = List.of();
    private State state = State.NEW;
    private PathKind active;
    private PathKind trial;
    private int failures;
    private long nextProbeAt;
    private long searchRetryAt;
    private long searchBackoff;
    private String reason = "not yet tried";
    private long lastChange;
    private long rtt = -1;
    /** When pod traffic was last reported; a new peer counts as having had some when it was added. */
    private long lastTraffic;
    private boolean idle;
    private boolean parked;

    public PeerPathMachine(String peer, Settings settings, long nowNanos) {
        this.peer = Objects.requireNonNull(peer, "peer");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.lastChange = nowNanos;
        this.lastTraffic = nowNanos;
        this.searchBackoff = settings.initialBackoff().toNanos();
    }

    /**
     * Sets what each rung can do for this peer now (in ladder order). An active or trial path that became unusable
     * is left at once; a better rung that became usable is tried at the next {@link #tick}.
     */
    public void setRungs(List<Rung> newRungs, long nowNanos) {
        List<Rung> old = rungs;
        rungs = List.copyOf(newRungs);
        for (Rung r : rungs) {
            boolean wasUsable = old.stream().anyMatch(o -> o.kind() == r.kind() && o.usable());
            if (r.usable() && !wasUsable) {
                retryAt.remove(r.kind());
            }
        }
        if (trial != null && !usable(trial)) {
            lastFailure.put(trial, rung(trial).map(Rung::reason).orElse(trial + ": gone"));
            trialFailed(nowNanos);
        }
        if (active != null && !usable(active)) {
            // Unlike a failing path, an unusable one cannot even be kept as a last resort: drop it now.
            PathKind gone = active;
            lastFailure.put(gone, rung(gone).map(Rung::reason).orElse(gone + ": gone"));
            active = null;
            if (trial == null) {
                startSearch(nowNanos, null);
            } else {
                become(State.SEARCHING, lastFailure.get(gone) + "; trying " + trial, nowNanos);
            }
        }
        refreshParked(nowNanos);
    }

    /**
     * Time-driven transitions: start, retry the ladder after FAILED, start the trial of a better rung, become idle
     * (and park a userspace path) after {@code idleTimeout} without traffic.
     */
    public void tick(long nowNanos) {
        idle = nowNanos - lastTraffic >= settings.idleTimeout().toNanos();
        switch (state) {
            case NEW:
                startSearch(nowNanos, null);
                break;
            case FAILED:
                // a parked path is kept without trying the ladder: its trials would need connections
                if (nowNanos - searchRetryAt >= 0 && !(idle && active != null && !active.kernel())) {
                    startSearch(nowNanos, null);
                }
                break;
            case ACTIVE:
                betterRungDue(nowNanos).ifPresent(k -> {
                    state = State.UPGRADING;
                    trial = k;
                    failures = 0;
                    nextProbeAt = nowNanos;
                });
                break;
            default:
                break;
        }
        refreshParked(nowNanos);
    }

    /**
     * Pod traffic to or from the peer was seen at {@code atNanos}. An idle peer becomes active: a parked path is
     * unparked, and the installed path is due for a probe at once.
     */
    public void onTraffic(long atNanos) {
        if (atNanos - lastTraffic > 0) {
            lastTraffic = atNanos;
        }
        if (!idle) {
            return;
        }
        idle = false;
        if (atNanos - nextProbeAt < 0) {
            nextProbeAt = atNanos;
        }
        refreshParked(atNanos);
    }

    /** The path to probe now, if a probe is due: the trial if there is one, else the installed path (unless parked). */
    public Optional<PathKind> probeDue(long nowNanos) {
        PathKind target = trial != null ? trial : active;
        if (target == null || parked || state == State.NEW || nowNanos - nextProbeAt < 0) {
            return Optional.empty();
        }
        return Optional.of(target);
    }

    /** Applies a probe's outcome; results for a path that is no longer the probe target are ignored. */
    public void onProbe(PathKind path, ProbeResult result, long nowNanos) {
        onProbe(path, result, nowNanos, nowNanos);
    }

    /**
     * Applies the outcome of a probe sent at {@code sentNanos}. The next probe is due one interval after this one was
     * sent, not after its answer (or timeout) came: a dead path's probes stay one interval apart instead of one
     * interval plus the probe timeout, which is what bounds the time to leave it. The interval is
     * {@code idleProbeInterval} after a passed probe of an idle peer's installed path, else {@code probeInterval}.
     */
    public void onProbe(PathKind path, ProbeResult result, long sentNanos, long nowNanos) {
        PathKind target = trial != null ? trial : active;
        if (path != target) {
            return;
        }
        boolean slow = result.ok() && idle && trial == null;
        nextProbeAt = sentNanos + (slow ? settings.idleProbeInterval() : settings.probeInterval()).toNanos();
        applyProbe(path, result, nowNanos);
        refreshParked(nowNanos);
    }

    private void applyProbe(PathKind path, ProbeResult result, long nowNanos) {
        if (result.ok()) {
            onSuccess(path, result, nowNanos);
            return;
        }
        lastFailure.put(path, path + " failed " + settings.failuresToFall() + " probes in a row (" + result.detail()
                + ")");
        failures++;
        if (failures < settings.failuresToFall()) {
            return;
        }
        failures = 0;
        if (trial != null) {
            trialFailed(nowNanos);
        } else if (state == State.ACTIVE) {
            activeFailed(nowNanos);
        }
    }

    private void onSuccess(PathKind path, ProbeResult result, long nowNanos) {
        rtt = result.rttNanos();
        failures = 0;
        backoff.remove(path);
        retryAt.remove(path);
        if (trial != null) {
            active = trial;
            trial = null;
            become(State.ACTIVE, describeActive(), nowNanos);
            searchBackoff = settings.initialBackoff().toNanos();
        } else if (state == State.FAILED) {
            become(State.ACTIVE, describeActive(), nowNanos);
            searchBackoff = settings.initialBackoff().toNanos();
        }
    }

    /** The trial path gave up (or became unusable): try the next rung down, or go back / fail. */
    private void trialFailed(long nowNanos) {
        PathKind failed = trial;
        scheduleRetry(failed, nowNanos);
        trial = null;
        failures = 0;
        if (state == State.UPGRADING) {
            state = State.ACTIVE;
            return;
        }
        startSearch(nowNanos, failed);
    }

    private void activeFailed(long nowNanos) {
        scheduleRetry(active, nowNanos);
        failures = 0;
        startSearch(nowNanos, active);
    }

    /** Trial of the best usable rung below {@code below} (from the top if null); FAILED if there is none. */
    private void startSearch(long nowNanos, PathKind below) {
        Optional<PathKind> next = rungs.stream().filter(Rung::usable).map(Rung::kind)
                .filter(k -> below == null || below.betterThan(k)).findFirst();
        if (next.isPresent()) {
            trial = next.get();
            failures = 0;
            nextProbeAt = nowNanos;
            String why = below == null ? "trying " + trial : lastFailure.get(below) + "; trying " + trial;
            become(State.SEARCHING, why, nowNanos);
            return;
        }
        trial = null;
        searchRetryAt = nowNanos + searchBackoff;
        searchBackoff = Math.min(searchBackoff * 2, settings.maxBackoff().toNanos());
        String why = below == null ? "no usable path: " + skipped(null) : lastFailure.get(below)
                + "; no usable path below " + below;
        become(State.FAILED, why, nowNanos);
    }

    private void scheduleRetry(PathKind kind, long nowNanos) {
        long wait = backoff.getOrDefault(kind, settings.initialBackoff().toNanos());
        retryAt.put(kind, nowNanos + wait);
        backoff.put(kind, Math.min(wait * 2, settings.maxBackoff().toNanos()));
    }

    /** The best usable rung above the active one whose retry is due; while idle, only a kernel rung. */
    private Optional<PathKind> betterRungDue(long nowNanos) {
        return rungs.stream().filter(Rung::usable).map(Rung::kind).filter(k -> k.betterThan(active))
                .filter(k -> !idle || k.kernel())
                .filter(k -> nowNanos - retryAt.getOrDefault(k, nowNanos) >= 0).findFirst();
    }

    /** Parked: idle, nothing on trial, and the installed path is a userspace rung. A change counts as a change. */
    private void refreshParked(long nowNanos) {
        boolean now = idle && trial == null && active != null && !active.kernel();
        if (now != parked) {
            parked = now;
            lastChange = nowNanos;
        }
    }

    private void become(State next, String why, long nowNanos) {
        if (next != state || !why.equals(reason)) {
            lastChange = nowNanos;
        }
        state = next;
        reason = why;
    }

    /** "vxlan: ipip unavailable on this kernel (EOPNOTSUPP); hostgw: ..." or the rung's own reason at the top. */
    private String describeActive() {
        String above = skipped(active);
        if (above.isEmpty()) {
            return rung(active).map(Rung::reason).orElse(active.toString());
        }
        return active + ": " + above;
    }

    /** Why each rung better than {@code kind} (all rungs if null) is not used, nearest first. */
    private String skipped(PathKind kind) {
        List<String> out = new ArrayList<>();
        for (int i = rungs.size() - 1; i >= 0; i--) {
            Rung r = rungs.get(i);
            if (kind != null && !r.kind().betterThan(kind)) {
                continue;
            }
            out.add(r.usable() ? lastFailure.getOrDefault(r.kind(), r.kind() + " not tried yet") : r.reason());
        }
        return String.join("; ", out);
    }

    private boolean usable(PathKind kind) {
        return rung(kind).map(Rung::usable).orElse(false);
    }

    private Optional<Rung> rung(PathKind kind) {
        return rungs.stream().filter(r -> r.kind() == kind).findFirst();
    }

    public State state() {
        return state;
    }

    /** The path carrying pod traffic (verified at least once), or null. */
    public PathKind active() {
        return active;
    }

    /** The path on trial, or null. */
    public PathKind trial() {
        return trial;
    }

    /** No pod traffic reported for {@code idleTimeout} (as of the last {@link #tick}). */
    public boolean idle() {
        return idle;
    }

    /** The installed userspace path is kept without probes while the peer is idle. */
    public boolean parked() {
        return parked;
    }

    /** When the next retry of {@code kind} is allowed, if one is scheduled. */
    public Optional<Long> retryAt(PathKind kind) {
        return Optional.ofNullable(retryAt.get(kind));
    }

    public PathStatus status() {
        String why = parked ? "parked while idle, not probed until pod traffic resumes: " + reason : reason;
        return new PathStatus(peer, state, active, trial, why, lastChange, rtt, parked);
    }
}
