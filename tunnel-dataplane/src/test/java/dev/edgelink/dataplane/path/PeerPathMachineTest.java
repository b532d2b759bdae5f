package dev.edgelink.dataplane.path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.path.PeerPathMachine.Rung;
import dev.edgelink.dataplane.path.PeerPathMachine.Settings;
import dev.edgelink.dataplane.path.PeerPathMachine.State;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Pure transitions with an injected clock: every timeout is checked at t - 1 and at t. */
class PeerPathMachineTest {
    private static final long INTERVAL = 1_000;
    private static final long BACKOFF = 10_000;
    private static final long IDLE_INTERVAL = 30 * INTERVAL;
    private static final long IDLE_AFTER = 1_000_000;
    private static final Settings SETTINGS = new Settings(3, Duration.ofNanos(INTERVAL),
            Duration.ofNanos(IDLE_INTERVAL), Duration.ofNanos(IDLE_AFTER), Duration.ofNanos(BACKOFF),
            Duration.ofNanos(4 * BACKOFF));
    private static final Rung HOSTGW_OK = new Rung(PathKind.HOSTGW, true, "hostgw: peer 10.0.0.2 shares 10.0.0.0/24");
    private static final Rung HOSTGW_NO = new Rung(PathKind.HOSTGW, false,
            "hostgw: no underlay address of node3 (10.0.1.3) is on a subnet we are directly connected to");
    private static final Rung IPIP_NO = new Rung(PathKind.IPIP, false, "ipip unavailable on this kernel (EOPNOTSUPP)");
    private static final Rung VXLAN_OK = new Rung(PathKind.VXLAN, true, "vxlan: VTEP 02:00:00:00:00:03 at 10.0.1.3");
    private static final Rung VXLAN_NO = new Rung(PathKind.VXLAN, false, "vxlan: NAT between us");
    private static final Rung DIRECT_OK = new Rung(PathKind.DIRECT, true, "direct: over a libp2p stream to node2");
    private static final Rung RELAYED_OK = new Rung(PathKind.RELAYED, true, "relayed: over a libp2p stream to node2");
    private static final ProbeResult OK = ProbeResult.success(210_000);
    private static final ProbeResult LOST = ProbeResult.failure("no echo from 10.244.2.0:8473 within 300 ms");

    private static PeerPathMachine machine(long now, Rung... rungs) {
        PeerPathMachine m = new PeerPathMachine("node2", SETTINGS, now);
        m.setRungs(List.of(rungs), now);
        return m;
    }

    private static void fail(PeerPathMachine m, PathKind path, int times, long now) {
        for (int i = 0; i < times; i++) {
            m.onProbe(path, LOST, now);
        }
    }

    /** Active on hostgw at {@code now}. */
    private static PeerPathMachine activeOnHostgw(long now) {
        PeerPathMachine m = machine(now, HOSTGW_OK, IPIP_NO, VXLAN_OK);
        m.tick(now);
        m.onProbe(PathKind.HOSTGW, OK, now);
        return m;
    }

    @Test
    void aNewPeerIsSearchedFromTheBestUsableRungAndNothingCarriesTrafficYet() {
        PeerPathMachine m = machine(100, HOSTGW_OK, IPIP_NO, VXLAN_OK);
        assertEquals(Optional.empty(), m.probeDue(100), "nothing is probed before the first tick");

        m.tick(100);

        assertEquals(State.SEARCHING, m.state());
        assertEquals(PathKind.HOSTGW, m.trial());
        assertNull(m.active(), "a path is used only after a probe crossed it");
        assertEquals(Optional.of(PathKind.HOSTGW), m.probeDue(100));
    }

    @Test
    void theFirstEchoMakesTheTrialPathActiveWithItsReason() {
        PeerPathMachine m = activeOnHostgw(100);

        assertEquals(State.ACTIVE, m.state());
        assertEquals(PathKind.HOSTGW, m.active());
        assertNull(m.trial());
        PathStatus s = m.status();
        assertEquals("hostgw: peer 10.0.0.2 shares 10.0.0.0/24", s.reason());
        assertEquals(100, s.lastChangeNanos());
        assertEquals(210_000, s.rttNanos());
    }

    @Test
    void theActivePathIsProbedEveryIntervalNotBefore() {
        PeerPathMachine m = activeOnHostgw(100);

        assertEquals(Optional.empty(), m.probeDue(100 + INTERVAL - 1));
        assertEquals(Optional.of(PathKind.HOSTGW), m.probeDue(100 + INTERVAL));
    }

    @Test
    void aTimedOutProbeDoesNotPushTheNextOneBack() {
        PeerPathMachine m = activeOnHostgw(0);

        // sent at 1000, its timeout reported at 1300: the next probe is due at 2000, not 2300
        m.onProbe(PathKind.HOSTGW, LOST, INTERVAL, INTERVAL + 300);
        assertEquals(Optional.empty(), m.probeDue(2 * INTERVAL - 1));
        assertEquals(Optional.of(PathKind.HOSTGW), m.probeDue(2 * INTERVAL));
    }

    @Test
    void theRungBelowAFallenPathIsDueAtOnce() {
        PeerPathMachine m = activeOnHostgw(0);

        fail(m, PathKind.HOSTGW, 3, 5_000);
        assertEquals(PathKind.VXLAN, m.trial());
        assertEquals(Optional.of(PathKind.VXLAN), m.probeDue(5_000), "the data plane loop probes it in the same round");
    }

    @Test
    void afterNFailuresTheNextUsableRungIsTriedWhileTheOldRouteStays() {
        PeerPathMachine m = activeOnHostgw(0);

        fail(m, PathKind.HOSTGW, 2, 5_000);
        assertEquals(State.ACTIVE, m.state(), "two failures are not enough");
        fail(m, PathKind.HOSTGW, 1, 6_000);

        assertEquals(State.SEARCHING, m.state());
        assertEquals(PathKind.VXLAN, m.trial(), "ipip is unusable, so vxlan is next");
        assertEquals(PathKind.HOSTGW, m.active(), "make-before-break: the old path stays until vxlan is verified");
        assertEquals(6_000, m.status().lastChangeNanos());

        m.onProbe(PathKind.VXLAN, OK, 6_500);

        assertEquals(State.ACTIVE, m.state());
        assertEquals(PathKind.VXLAN, m.active());
        assertEquals("vxlan: ipip unavailable on this kernel (EOPNOTSUPP); hostgw failed 3 probes in a row"
                + " (no echo from 10.244.2.0:8473 within 300 ms)", m.status().reason());
    }

    @Test
    void aFailingSuccessResetsTheCount() {
        PeerPathMachine m = activeOnHostgw(0);
        fail(m, PathKind.HOSTGW, 2, 1_000);
        m.onProbe(PathKind.HOSTGW, OK, 2_000);
        fail(m, PathKind.HOSTGW, 2, 3_000);
        assertEquals(State.ACTIVE, m.state());
        assertEquals(PathKind.HOSTGW, m.active());
    }

    @Test
    void aBetterRungIsRetriedAfterItsBackoffNotBefore() {
        PeerPathMachine m = activeOnHostgw(0);
        fail(m, PathKind.HOSTGW, 3, 1_000);
        m.onProbe(PathKind.VXLAN, OK, 1_000);
        assertEquals(Optional.of(1_000 + BACKOFF), m.retryAt(PathKind.HOSTGW));

        m.tick(1_000 + BACKOFF - 1);
        assertEquals(State.ACTIVE, m.state());
        assertNull(m.trial());

        m.tick(1_000 + BACKOFF);
        assertEquals(State.UPGRADING, m.state());
        assertEquals(PathKind.HOSTGW, m.trial());
        assertEquals(PathKind.VXLAN, m.active(), "vxlan carries traffic during the trial");

        m.onProbe(PathKind.HOSTGW, OK, 1_000 + BACKOFF);
        assertEquals(State.ACTIVE, m.state());
        assertEquals(PathKind.HOSTGW, m.active());
        assertEquals("hostgw: peer 10.0.0.2 shares 10.0.0.0/24", m.status().reason());
    }

    @Test
    void aFailedUpgradeGoesBackAndTheBackoffDoublesUpToTheMaximum() {
        PeerPathMachine m = activeOnHostgw(0);
        fail(m, PathKind.HOSTGW, 3, 0);
        m.onProbe(PathKind.VXLAN, OK, 0);
        long t = 0;
        long[] expectedWaits = {2 * BACKOFF, 4 * BACKOFF, 4 * BACKOFF};
        t += BACKOFF;
        for (long wait : expectedWaits) {
            m.tick(t);
            assertEquals(State.UPGRADING, m.state());
            fail(m, PathKind.HOSTGW, 3, t);
            assertEquals(State.ACTIVE, m.state());
            assertEquals(PathKind.VXLAN, m.active());
            assertEquals(Optional.of(t + wait), m.retryAt(PathKind.HOSTGW));
            m.tick(t + wait - 1);
            assertEquals(State.ACTIVE, m.state(), "not retried before the backoff is over");
            t += wait;
        }
    }

    @Test
    void withNothingBelowTheFailingPathStaysInstalledAndTheStateSaysFailed() {
        PeerPathMachine m = machine(0, HOSTGW_NO, IPIP_NO, VXLAN_OK);
        m.tick(0);
        m.onProbe(PathKind.VXLAN, OK, 0);
        assertEquals("vxlan: ipip unavailable on this kernel (EOPNOTSUPP); hostgw: no underlay address of node3"
                + " (10.0.1.3) is on a subnet we are directly connected to", m.status().reason());

        fail(m, PathKind.VXLAN, 3, 2_000);

        assertEquals(State.FAILED, m.state());
        assertEquals(PathKind.VXLAN, m.active(), "nothing better to do than keep it");
        assertTrue(m.status().reason().startsWith("vxlan failed 3 probes in a row (no echo"), m.status().reason());
        assertTrue(m.status().reason().endsWith("no usable path below vxlan"), m.status().reason());
        assertEquals(Optional.of(PathKind.VXLAN), m.probeDue(2_000 + INTERVAL), "the kept path is still probed");

        m.onProbe(PathKind.VXLAN, OK, 3_000);
        assertEquals(State.ACTIVE, m.state());
        assertEquals(3_000, m.status().lastChangeNanos());
    }

    @Test
    void whenNoRungPassesTheLadderIsRetriedAfterBackoff() {
        PeerPathMachine m = machine(0, HOSTGW_OK, IPIP_NO, VXLAN_OK);
        m.tick(0);
        fail(m, PathKind.HOSTGW, 3, 0);
        assertEquals(PathKind.VXLAN, m.trial());
        fail(m, PathKind.VXLAN, 3, 500);
        assertEquals(State.FAILED, m.state());
        assertNull(m.active());
        assertEquals(Optional.empty(), m.probeDue(10_000_000), "nothing to probe");

        m.tick(500 + BACKOFF - 1);
        assertEquals(State.FAILED, m.state());
        m.tick(500 + BACKOFF);
        assertEquals(State.SEARCHING, m.state());
        assertEquals(PathKind.HOSTGW, m.trial());
    }

    @Test
    void withNoUsableRungAtAllTheReasonListsWhy() {
        PeerPathMachine m = machine(0, HOSTGW_NO, IPIP_NO);
        m.tick(0);
        assertEquals(State.FAILED, m.state());
        assertEquals("no usable path: ipip unavailable on this kernel (EOPNOTSUPP); " + HOSTGW_NO.reason(),
                m.status().reason());
    }

    @Test
    void resultsForAPathThatIsNotTheProbeTargetAreIgnored() {
        PeerPathMachine m = machine(0, HOSTGW_OK, IPIP_NO, VXLAN_OK);
        m.tick(0);
        m.onProbe(PathKind.VXLAN, OK, 0);
        assertEquals(State.SEARCHING, m.state());
        assertNull(m.active());
    }

    @Test
    void anActivePathThatBecomesUnusableIsLeftAtOnce() {
        PeerPathMachine m = activeOnHostgw(0);

        m.setRungs(List.of(HOSTGW_NO, IPIP_NO, VXLAN_OK), 100);

        assertNull(m.active(), "an ineligible hostgw route would be wrong, not just slow");
        assertEquals(State.SEARCHING, m.state());
        assertEquals(PathKind.VXLAN, m.trial());
    }

    @Test
    void aRungThatBecomesUsableIsTriedAtTheNextTick() {
        PeerPathMachine m = machine(0, HOSTGW_NO, IPIP_NO, VXLAN_OK);
        m.tick(0);
        m.onProbe(PathKind.VXLAN, OK, 0);

        m.setRungs(List.of(HOSTGW_OK, IPIP_NO, VXLAN_OK), 50);
        m.tick(50);

        assertEquals(State.UPGRADING, m.state());
        assertEquals(PathKind.HOSTGW, m.trial());
    }

    /** Active on direct at {@code now}, with relayed below it and no kernel rung usable. */
    private static PeerPathMachine activeOnDirect(long now) {
        PeerPathMachine m = machine(now, HOSTGW_NO, IPIP_NO, VXLAN_NO, DIRECT_OK, RELAYED_OK);
        m.tick(now);
        m.onProbe(PathKind.DIRECT, OK, now);
        return m;
    }

    @Test
    void aNewPeerStartsActiveAndIsIdleAfterIdleTimeoutWithoutTraffic() {
        PeerPathMachine m = activeOnHostgw(100);

        m.tick(100 + IDLE_AFTER - 1);
        assertFalse(m.idle(), "a joining peer is verified at the probe interval for a while");
        m.tick(100 + IDLE_AFTER);
        assertTrue(m.idle());
    }

    @Test
    void trafficPutsIdlenessOffByAnotherIdleTimeout() {
        PeerPathMachine m = activeOnHostgw(0);
        m.onTraffic(5_000);

        m.tick(5_000 + IDLE_AFTER - 1);
        assertFalse(m.idle());
        m.tick(5_000 + IDLE_AFTER);
        assertTrue(m.idle());
    }

    @Test
    void anIdlePeersKernelPathIsProbedEveryIdleIntervalNotBefore() {
        PeerPathMachine m = activeOnHostgw(0);
        m.tick(IDLE_AFTER);
        assertEquals(Optional.of(PathKind.HOSTGW), m.probeDue(IDLE_AFTER), "the probe due when it went idle");
        m.onProbe(PathKind.HOSTGW, OK, IDLE_AFTER);

        assertEquals(Optional.empty(), m.probeDue(IDLE_AFTER + IDLE_INTERVAL - 1));
        assertEquals(Optional.of(PathKind.HOSTGW), m.probeDue(IDLE_AFTER + IDLE_INTERVAL));
        assertFalse(m.parked(), "a kernel path needs no connection: it is never parked");
        assertEquals(State.ACTIVE, m.state());
    }

    @Test
    void aFailedProbeOfAnIdleKernelPathIsFollowedUpAtTheProbeIntervalAndThePathFallsAsAnActivePeers() {
        PeerPathMachine m = activeOnHostgw(0);
        long t = IDLE_AFTER;
        m.tick(t);
        m.onProbe(PathKind.HOSTGW, LOST, t);
        assertEquals(Optional.empty(), m.probeDue(t + INTERVAL - 1));
        assertEquals(Optional.of(PathKind.HOSTGW), m.probeDue(t + INTERVAL), "confirmed at the probe interval");
        m.onProbe(PathKind.HOSTGW, LOST, t + INTERVAL);
        m.onProbe(PathKind.HOSTGW, LOST, t + 2 * INTERVAL);

        assertEquals(State.SEARCHING, m.state());
        assertEquals(PathKind.VXLAN, m.trial());
        assertEquals(Optional.of(PathKind.VXLAN), m.probeDue(t + 2 * INTERVAL));
    }

    @Test
    void trafficMakesAnIdleKernelPathDueAtOnceAndThenEveryProbeInterval() {
        PeerPathMachine m = activeOnHostgw(0);
        m.tick(IDLE_AFTER);
        m.onProbe(PathKind.HOSTGW, OK, IDLE_AFTER);
        long t = IDLE_AFTER + 7;

        m.onTraffic(t);

        assertFalse(m.idle());
        assertEquals(Optional.of(PathKind.HOSTGW), m.probeDue(t), "not IDLE_INTERVAL after the last probe");
        m.onProbe(PathKind.HOSTGW, OK, t);
        m.tick(t + INTERVAL);
        assertEquals(Optional.of(PathKind.HOSTGW), m.probeDue(t + INTERVAL));
    }

    @Test
    void anIdlePeersUserspacePathIsParkedNotProbedAndKept() {
        PeerPathMachine m = activeOnDirect(0);
        m.tick(IDLE_AFTER - 1);
        assertFalse(m.parked());

        m.tick(IDLE_AFTER);

        assertTrue(m.parked());
        assertTrue(m.status().parked());
        assertEquals(State.ACTIVE, m.state());
        assertEquals(PathKind.DIRECT, m.active(), "its routes stay");
        assertNull(m.trial());
        assertEquals(IDLE_AFTER, m.status().lastChangeNanos());
        assertEquals("parked while idle, not probed until pod traffic resumes: direct: vxlan: NAT between us; ipip"
                + " unavailable on this kernel (EOPNOTSUPP); " + HOSTGW_NO.reason(), m.status().reason());
        for (long t = IDLE_AFTER; t < IDLE_AFTER + 100 * IDLE_INTERVAL; t += INTERVAL) {
            m.tick(t);
            assertEquals(Optional.empty(), m.probeDue(t), "not probed at " + t);
        }
        assertEquals(PathKind.DIRECT, m.active());
    }

    @Test
    void trafficUnparksAndTheParkedPathIsProbedAtOnceAndFallsOnFailuresAsToday() {
        PeerPathMachine m = activeOnDirect(0);
        m.tick(IDLE_AFTER);
        long t = 2 * IDLE_AFTER;
        m.tick(t);

        m.onTraffic(t);

        assertFalse(m.parked());
        assertEquals(t, m.status().lastChangeNanos());
        assertEquals("direct: vxlan: NAT between us; ipip unavailable on this kernel (EOPNOTSUPP); "
                + HOSTGW_NO.reason(), m.status().reason());
        assertEquals(Optional.of(PathKind.DIRECT), m.probeDue(t));
        fail(m, PathKind.DIRECT, 3, t);
        assertEquals(State.SEARCHING, m.state());
        assertEquals(PathKind.RELAYED, m.trial());
        assertEquals(PathKind.DIRECT, m.active(), "make-before-break as for any fall");
    }

    @Test
    void whileParkedNoUserspaceRungIsTriedAsAnUpgradeButAKernelOneIs() {
        PeerPathMachine m = machine(0, HOSTGW_NO, IPIP_NO, VXLAN_NO, DIRECT_OK, RELAYED_OK);
        m.tick(0);
        fail(m, PathKind.DIRECT, 3, 0);
        m.onProbe(PathKind.RELAYED, OK, 0);
        assertEquals(Optional.of(BACKOFF), m.retryAt(PathKind.DIRECT));

        m.tick(IDLE_AFTER);
        assertTrue(m.parked());
        assertEquals(State.ACTIVE, m.state(), "direct is due again, but trying it needs a connection");
        assertNull(m.trial());

        m.setRungs(List.of(HOSTGW_NO, IPIP_NO, VXLAN_OK, DIRECT_OK, RELAYED_OK), IDLE_AFTER + 1);
        m.tick(IDLE_AFTER + 1);
        assertEquals(State.UPGRADING, m.state());
        assertEquals(PathKind.VXLAN, m.trial(), "a kernel rung needs no connection");
        assertFalse(m.parked(), "the trial is probed");
        assertEquals(Optional.of(PathKind.VXLAN), m.probeDue(IDLE_AFTER + 1));
    }

    @Test
    void aParkedPeerInFailedKeepsItsPathAndRetriesTheLadderOnlyWhenTrafficResumes() {
        PeerPathMachine m = machine(0, HOSTGW_NO, IPIP_NO, VXLAN_NO, DIRECT_OK);
        m.tick(0);
        m.onProbe(PathKind.DIRECT, OK, 0);
        fail(m, PathKind.DIRECT, 3, 0);
        assertEquals(State.FAILED, m.state());
        assertEquals(PathKind.DIRECT, m.active());

        m.tick(IDLE_AFTER);
        assertTrue(m.parked());
        assertEquals(State.FAILED, m.state(), "the ladder's retry (due long ago) waits for traffic");
        assertEquals(Optional.empty(), m.probeDue(IDLE_AFTER));

        m.onTraffic(IDLE_AFTER + 1);
        m.tick(IDLE_AFTER + 1);
        assertEquals(State.SEARCHING, m.state());
        assertEquals(PathKind.DIRECT, m.trial());
    }

    @Test
    void anIdlePeerWithoutAPathIsStillSearched() {
        PeerPathMachine m = machine(0, HOSTGW_NO, IPIP_NO, VXLAN_NO, DIRECT_OK, RELAYED_OK);
        m.tick(IDLE_AFTER);

        assertTrue(m.idle());
        assertEquals(State.SEARCHING, m.state());
        assertFalse(m.parked());
        assertEquals(Optional.of(PathKind.DIRECT), m.probeDue(IDLE_AFTER), "a peer without a route must get one");
    }

    @Test
    void settingsAreChecked() {
        Duration s1 = Duration.ofSeconds(1);
        Duration s2 = Duration.ofSeconds(2);
        assertThrows(IllegalArgumentException.class, () -> new Settings(0, s1, s1, s1, s1, s1));
        assertThrows(IllegalArgumentException.class, () -> new Settings(3, s1, s1, s1, s2, s1),
                "backoff max < initial");
        assertThrows(IllegalArgumentException.class, () -> new Settings(3, s2, s1, s1, s1, s1),
                "idle peers probed more often than active ones");
        assertThrows(IllegalArgumentException.class, () -> new Settings(3, s1, s1, Duration.ZERO, s1, s1),
                "every peer idle at once");
    }
}
