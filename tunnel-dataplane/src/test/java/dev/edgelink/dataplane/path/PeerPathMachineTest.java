package dev.edgelink.dataplane.path;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    private static final Settings SETTINGS = new Settings(3, Duration.ofNanos(INTERVAL), Duration.ofNanos(BACKOFF),
            Duration.ofNanos(4 * BACKOFF));
    private static final Rung HOSTGW_OK = new Rung(PathKind.HOSTGW, true, "hostgw: peer 10.0.0.2 shares 10.0.0.0/24");
    private static final Rung HOSTGW_NO = new Rung(PathKind.HOSTGW, false,
            "hostgw: no underlay address of node3 (10.0.1.3) is on a subnet we are directly connected to");
    private static final Rung IPIP_NO = new Rung(PathKind.IPIP, false, "ipip unavailable on this kernel (EOPNOTSUPP)");
    private static final Rung VXLAN_OK = new Rung(PathKind.VXLAN, true, "vxlan: VTEP 02:00:00:00:00:03 at 10.0.1.3");
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

    @Test
    void settingsAreChecked() {
        assertThrows(IllegalArgumentException.class,
                () -> new Settings(0, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class,
                () -> new Settings(3, Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(1)));
    }
}
