package dev.edgelink.relay.dcutr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.relay.reachability.Reachability;
import org.junit.jupiter.api.Test;

class PunchPolicyTest {

    private static final long S = 1_000_000_000L;
    private final PeerId peer = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());

    @Test
    void aSymmetricNatOnEitherSideMeansNoPunch() {
        PunchPolicy p = PunchPolicy.standard();
        assertFalse(p.decide(peer, Reachability.NAT_SYMMETRIC, Reachability.PUBLIC, 0).attempt());
        assertFalse(p.decide(peer, Reachability.NAT_PORT_PRESERVING, Reachability.NAT_SYMMETRIC, 0).attempt());
        assertTrue(p.decide(peer, Reachability.NAT_PORT_PRESERVING, Reachability.UNKNOWN, 0).attempt());
    }

    @Test
    void failuresBackOffExponentiallyFromThirtySecondsToThirtyMinutesAndASuccessClears() {
        PunchPolicy p = PunchPolicy.standard();
        long t = 1000 * S;
        p.failed(peer, t);
        assertFalse(p.decide(peer, Reachability.UNKNOWN, Reachability.UNKNOWN, t + 30 * S - 1).attempt());
        assertTrue(p.decide(peer, Reachability.UNKNOWN, Reachability.UNKNOWN, t + 30 * S).attempt());
        p.failed(peer, t);
        assertFalse(p.decide(peer, Reachability.UNKNOWN, Reachability.UNKNOWN, t + 60 * S - 1).attempt());
        assertTrue(p.decide(peer, Reachability.UNKNOWN, Reachability.UNKNOWN, t + 60 * S).attempt());
        assertEquals(30 * S, p.backoffNanos(1));
        assertEquals(120 * S, p.backoffNanos(3));
        assertEquals(1800 * S, p.backoffNanos(7));
        assertEquals(1800 * S, p.backoffNanos(60));
        p.succeeded(peer);
        assertTrue(p.decide(peer, Reachability.UNKNOWN, Reachability.UNKNOWN, t).attempt());
    }
}
