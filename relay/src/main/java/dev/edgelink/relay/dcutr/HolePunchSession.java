package dev.edgelink.relay.dcutr;

import dev.edgelink.libp2p.ProtocolViolationException;

/**
 * The message order of a DCUtR punch, as a pure state machine. The initiator (B, who opens the streams) sends
 * CONNECT, receives CONNECT, sends SYNC and dials after half the measured round trip; the responder (A) receives
 * CONNECT, answers CONNECT, receives SYNC and dials at once. A failed dial starts the next round, on a new stream,
 * up to {@code maxRounds}. Any other message order is a protocol violation.
 */
public final class HolePunchSession {

    /** Where a session stands. */
    public enum State {
        /** Initiator: our CONNECT is out, waiting for theirs. Responder: waiting for their CONNECT. */
        AWAIT_CONNECT,
        /** Responder: our CONNECT is out, waiting for SYNC. */
        AWAIT_SYNC,
        /** Both: dialing; the round's outcome is next. */
        DIALING,
        SUCCEEDED,
        FAILED
    }

    private final boolean initiator;
    private final int maxRounds;
    private State state = State.AWAIT_CONNECT;
    private int round = 1;
    private long connectSentNanos;
    private long rttNanos = -1;

    public HolePunchSession(boolean initiator, int maxRounds) {
        if (maxRounds < 1) {
            throw new IllegalArgumentException("maxRounds must be at least 1");
        }
        this.initiator = initiator;
        this.maxRounds = maxRounds;
    }

    public State state() {
        return state;
    }

    public int round() {
        return round;
    }

    /** The relay round trip measured in this round (initiator only), or -1. */
    public long rttNanos() {
        return rttNanos;
    }

    /** Initiator: our CONNECT left at {@code nowNanos}. */
    public void connectSent(long nowNanos) {
        require(initiator && state == State.AWAIT_CONNECT, "CONNECT sent");
        connectSentNanos = nowNanos;
    }

    /** A message arrived; returns the state after it. */
    public State received(HolePunchMessage.Type type, long nowNanos) {
        if (state == State.AWAIT_CONNECT && type == HolePunchMessage.Type.CONNECT) {
            if (initiator) {
                rttNanos = Math.max(0, nowNanos - connectSentNanos);
                state = State.DIALING;
            } else {
                state = State.AWAIT_SYNC;
            }
            return state;
        }
        if (!initiator && state == State.AWAIT_SYNC && type == HolePunchMessage.Type.SYNC) {
            state = State.DIALING;
            return state;
        }
        throw new ProtocolViolationException("dcutr: unexpected " + type + " in state " + state + " (round "
                + round + ", " + (initiator ? "initiator" : "responder") + ")");
    }

    /** The delay before the initiator dials: half the round trip. */
    public long dialDelayNanos() {
        return initiator ? rttNanos / 2 : 0;
    }

    /** The round's dial ended; returns SUCCEEDED, AWAIT_CONNECT (next round) or FAILED (rounds used up). */
    public State dialed(boolean success) {
        require(state == State.DIALING, "dial outcome");
        if (success) {
            state = State.SUCCEEDED;
        } else if (round >= maxRounds) {
            state = State.FAILED;
        } else {
            round++;
            rttNanos = -1;
            state = State.AWAIT_CONNECT;
        }
        return state;
    }

    private void require(boolean condition, String event) {
        if (!condition) {
            throw new IllegalStateException("dcutr session: " + event + " in state " + state);
        }
    }
}
