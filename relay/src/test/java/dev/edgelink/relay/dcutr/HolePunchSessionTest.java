package dev.edgelink.relay.dcutr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.relay.dcutr.HolePunchMessage.Type;
import dev.edgelink.relay.dcutr.HolePunchSession.State;
import org.junit.jupiter.api.Test;

class HolePunchSessionTest {

    @Test
    void theInitiatorMeasuresTheRoundTripAndDialsAfterHalfOfIt() {
        HolePunchSession s = new HolePunchSession(true, 3);
        s.connectSent(1_000);
        assertEquals(State.DIALING, s.received(Type.CONNECT, 41_000));
        assertEquals(40_000, s.rttNanos());
        assertEquals(20_000, s.dialDelayNanos());
        assertEquals(State.SUCCEEDED, s.dialed(true));
    }

    @Test
    void theResponderDialsOnSyncAtOnce() {
        HolePunchSession s = new HolePunchSession(false, 3);
        assertEquals(State.AWAIT_SYNC, s.received(Type.CONNECT, 0));
        assertEquals(State.DIALING, s.received(Type.SYNC, 5));
        assertEquals(0, s.dialDelayNanos());
    }

    @Test
    void failedRoundsStartOverAndStopAfterTheLast() {
        HolePunchSession s = new HolePunchSession(false, 3);
        for (int round = 1; round <= 3; round++) {
            assertEquals(round, s.round());
            s.received(Type.CONNECT, 0);
            s.received(Type.SYNC, 0);
            assertEquals(round < 3 ? State.AWAIT_CONNECT : State.FAILED, s.dialed(false));
        }
        assertThrows(IllegalStateException.class, () -> s.dialed(false));
    }

    @Test
    void messagesOutOfOrderAreProtocolViolations() {
        assertThrows(ProtocolViolationException.class, () -> new HolePunchSession(false, 3).received(Type.SYNC, 0));
        HolePunchSession initiator = new HolePunchSession(true, 3);
        initiator.connectSent(0);
        assertThrows(ProtocolViolationException.class, () -> initiator.received(Type.SYNC, 0));
        HolePunchSession twice = new HolePunchSession(false, 3);
        twice.received(Type.CONNECT, 0);
        assertThrows(ProtocolViolationException.class, () -> twice.received(Type.CONNECT, 0));
        HolePunchSession dialing = new HolePunchSession(true, 3);
        dialing.connectSent(0);
        dialing.received(Type.CONNECT, 1);
        assertThrows(ProtocolViolationException.class, () -> dialing.received(Type.CONNECT, 2));
    }
}
