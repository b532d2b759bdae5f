package dev.edgelink.relay.reachability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgelink.relay.autonat.NatStatus;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ReachabilityObserverTest {

    private static final long S = 1_000_000_000L;
    private final AtomicLong now = new AtomicLong(1000 * S);
    private final List<String> changes = new ArrayList<>();
    private final ReachabilityObserver observer = new ReachabilityObserver(new ReachabilityClassifier(2), now::get,
            600 * S, 64);

    ReachabilityObserverTest() {
        observer.addListener((before, after) -> changes.add(before + "->" + after));
    }

    private static InetSocketAddress sa(String ip, int port) {
        return new InetSocketAddress(ip, port);
    }

    private Observation out(String observer, InetSocketAddress local, InetSocketAddress remote,
            InetSocketAddress observed) {
        return new Observation(observer, local, remote, observed, true, now.get());
    }

    @Test
    void oneLocalSocketSeenAsTheSameExternalAddressByTwoPeersIsPortPreserving() {
        InetSocketAddress listen = sa("10.1.0.11", 4001);
        observer.observe(out("p1", listen, sa("198.18.0.10", 4001), sa("198.18.0.1", 4001)));
        assertEquals(Reachability.UNKNOWN, observer.current());
        observer.observe(out("p2", listen, sa("198.18.0.20", 4001), sa("198.18.0.1", 4001)));
        assertEquals(Reachability.NAT_PORT_PRESERVING, observer.current());
        assertEquals(List.of("UNKNOWN->NAT_PORT_PRESERVING"), changes);
    }

    @Test
    void oneLocalSocketSeenWithDifferentPortsPerDestinationIsSymmetric() {
        InetSocketAddress listen = sa("10.1.0.11", 4001);
        observer.observe(out("p1", listen, sa("198.18.0.10", 4001), sa("198.18.0.1", 31337)));
        observer.observe(out("p2", listen, sa("198.18.0.20", 4001), sa("198.18.0.1", 51234)));
        assertEquals(Reachability.NAT_SYMMETRIC, observer.current());
    }

    @Test
    void keptSourcePortsOnSeveralSocketsCountAsPortPreservingAndInboundObservationsAreIgnored() {
        observer.observe(new Observation("p0", sa("10.1.0.11", 4001), sa("198.18.0.5", 5555),
                sa("198.18.0.1", 4001), false, now.get()));
        observer.observe(out("p1", sa("10.1.0.11", 40001), sa("198.18.0.10", 4001), sa("198.18.0.1", 40001)));
        assertEquals(Reachability.UNKNOWN, observer.current());
        observer.observe(out("p2", sa("10.1.0.11", 40002), sa("198.18.0.20", 4001), sa("198.18.0.1", 40002)));
        assertEquals(Reachability.NAT_PORT_PRESERVING, observer.current());
    }

    @Test
    void autonatPublicWinsAndOldObservationsExpire() {
        InetSocketAddress listen = sa("10.1.0.11", 4001);
        observer.observe(out("p1", listen, sa("198.18.0.10", 4001), sa("198.18.0.1", 1)));
        observer.observe(out("p2", listen, sa("198.18.0.20", 4001), sa("198.18.0.1", 2)));
        assertEquals(Reachability.NAT_SYMMETRIC, observer.current());
        observer.autonat(NatStatus.PUBLIC);
        assertEquals(Reachability.PUBLIC, observer.current());
        observer.autonat(NatStatus.UNKNOWN);
        now.addAndGet(600 * S);
        observer.expire();
        assertEquals(Reachability.NAT_SYMMETRIC, observer.current(), "exactly at the age limit they still count");
        now.addAndGet(1);
        observer.expire();
        assertEquals(Reachability.UNKNOWN, observer.current());
        assertEquals(List.of("UNKNOWN->NAT_SYMMETRIC", "NAT_SYMMETRIC->PUBLIC", "PUBLIC->NAT_SYMMETRIC",
                "NAT_SYMMETRIC->UNKNOWN"), changes);
    }

    @Test
    void aPeerReportingAgainReplacesItsOldObservation() {
        InetSocketAddress listen = sa("10.1.0.11", 4001);
        observer.observe(out("p1", listen, sa("198.18.0.10", 4001), sa("198.18.0.1", 1)));
        observer.observe(out("p2", listen, sa("198.18.0.20", 4001), sa("198.18.0.1", 2)));
        observer.observe(out("p1", listen, sa("198.18.0.10", 4001), sa("198.18.0.1", 2)));
        assertEquals(Reachability.NAT_PORT_PRESERVING, observer.current());
        assertEquals(List.of(sa("198.18.0.1", 2)), observer.observedAddresses());
    }

    @Test
    void aNewPortOnEverySocketForTwoObserversIsSymmetric() {
        observer.observe(out("p1", sa("10.1.0.11", 40001), sa("198.18.0.10", 4001), sa("198.18.0.1", 61001)));
        assertEquals(Reachability.UNKNOWN, observer.current());
        observer.observe(out("p2", sa("10.1.0.11", 40002), sa("198.18.0.20", 4001), sa("198.18.0.1", 52002)));
        assertEquals(Reachability.NAT_SYMMETRIC, observer.current());
    }

    @Test
    void whenTheNatTurnsSymmetricTheClosedConnectionsEvidenceGoesWithThem() {
        InetSocketAddress listen = sa("10.2.0.11", 4001);
        observer.observe(out("p1", listen, sa("198.18.0.3", 4001), sa("198.18.0.2", 4001)));
        observer.observe(out("p2", listen, sa("198.18.0.4", 4001), sa("198.18.0.2", 4001)));
        assertEquals(Reachability.NAT_PORT_PRESERVING, observer.current());
        // The NAT forgets its mappings and maps at random from now on: both connections die and are dialed again,
        // from other sockets while the listen port's old pairs are not free yet.
        observer.closed("p1", listen, sa("198.18.0.3", 4001));
        observer.closed("p2", listen, sa("198.18.0.4", 4001));
        observer.observe(out("p1", sa("10.2.0.11", 40001), sa("198.18.0.3", 4001), sa("198.18.0.2", 19984)));
        observer.observe(out("p2", sa("10.2.0.11", 40002), sa("198.18.0.4", 4001), sa("198.18.0.2", 47550)));
        assertEquals(Reachability.NAT_SYMMETRIC, observer.current());
        assertEquals(List.of("UNKNOWN->NAT_PORT_PRESERVING", "NAT_PORT_PRESERVING->UNKNOWN",
                "UNKNOWN->NAT_SYMMETRIC"), changes);
    }

    @Test
    void aClosedConnectionOnlyDropsTheObservationMadeOnIt() {
        InetSocketAddress listen = sa("10.1.0.11", 4001);
        observer.observe(out("p1", listen, sa("198.18.0.10", 4001), sa("198.18.0.1", 4001)));
        observer.observe(out("p2", listen, sa("198.18.0.20", 4001), sa("198.18.0.1", 4001)));
        observer.closed("p1", listen, sa("198.18.0.99", 4001));
        assertEquals(Reachability.NAT_PORT_PRESERVING, observer.current(), "another connection of p1's closed");
        observer.closed("p1", listen, sa("198.18.0.10", 4001));
        assertEquals(Reachability.UNKNOWN, observer.current());
    }
}
