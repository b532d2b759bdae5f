package dev.edgelink.libp2p.yamux;

import static dev.edgelink.libp2p.yamux.YamuxStream.State.CLOSED;
import static dev.edgelink.libp2p.yamux.YamuxStream.State.ESTABLISHED;
import static dev.edgelink.libp2p.yamux.YamuxStream.State.INIT;
import static dev.edgelink.libp2p.yamux.YamuxStream.State.LOCAL_CLOSE;
import static dev.edgelink.libp2p.yamux.YamuxStream.State.REMOTE_CLOSE;
import static dev.edgelink.libp2p.yamux.YamuxStream.State.RESET;
import static dev.edgelink.libp2p.yamux.YamuxStream.State.SYN_RECEIVED;
import static dev.edgelink.libp2p.yamux.YamuxStream.State.SYN_SENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.InternalException;
import dev.edgelink.libp2p.yamux.YamuxStream.State;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The stream state machine, without a channel. */
class YamuxStreamStateTest {

    @Test
    void outboundStreamOpensAndClosesLocalFirst() {
        State s = INIT.onSynSent();
        assertEquals(SYN_SENT, s);
        s = s.onAckReceived();
        assertEquals(ESTABLISHED, s);
        s = s.onLocalFin();
        assertEquals(LOCAL_CLOSE, s);
        assertTrue(s.canReceive());
        assertFalse(s.canSend());
        assertEquals(CLOSED, s.onRemoteFin());
    }

    @Test
    void inboundStreamOpensAndClosesRemoteFirst() {
        State s = SYN_RECEIVED.onAckSent();
        assertEquals(ESTABLISHED, s);
        s = s.onRemoteFin();
        assertEquals(REMOTE_CLOSE, s);
        assertTrue(s.canSend());
        assertFalse(s.canReceive());
        assertEquals(CLOSED, s.onLocalFin());
    }

    @Test
    void halfCloseBeforeAckIsLocalClose() {
        assertEquals(LOCAL_CLOSE, SYN_SENT.onLocalFin());
        assertEquals(REMOTE_CLOSE, SYN_SENT.onRemoteFin());
        assertEquals(LOCAL_CLOSE, LOCAL_CLOSE.onAckReceived());
    }

    @ParameterizedTest
    @EnumSource(State.class)
    void resetIsReachableFromEveryStateAndTerminal(State s) {
        assertEquals(RESET, s.onReset());
        assertTrue(RESET.isTerminal());
        assertFalse(RESET.canSend());
        assertFalse(RESET.canReceive());
    }

    @Test
    void repeatedOrLateFinChangesNothing() {
        for (State s : EnumSet.of(REMOTE_CLOSE, CLOSED, RESET)) {
            assertEquals(s, s.onRemoteFin());
        }
    }

    @Test
    void impossibleLocalTransitionsAreBugs() {
        assertThrows(InternalException.class, SYN_SENT::onSynSent);
        assertThrows(InternalException.class, ESTABLISHED::onAckSent);
        assertThrows(InternalException.class, LOCAL_CLOSE::onLocalFin);
        assertThrows(InternalException.class, CLOSED::onLocalFin);
        assertThrows(InternalException.class, RESET::onLocalFin);
    }

    @Test
    void onlyClosedAndResetAreTerminal() {
        for (State s : State.values()) {
            assertEquals(s == CLOSED || s == RESET, s.isTerminal(), s.name());
        }
    }
}
