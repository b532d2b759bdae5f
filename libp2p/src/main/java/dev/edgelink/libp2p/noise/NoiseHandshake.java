package dev.edgelink.libp2p.noise;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.InternalException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.peer.PeerId;
import java.security.SecureRandom;
import java.util.List;
import java.util.function.Supplier;

/**
 * The libp2p Noise handshake (XX) of one connection as an explicit state machine, without I/O: feed it the remote's
 * messages, send what it writes, and read {@link #session()} when it is {@link State#COMPLETE}.
 *
 * <pre>
 *  initiator (dialer)                                        responder (listener)
 *  SEND_MESSAGE_1     -- e --------------------------------&gt;  AWAIT_MESSAGE_1
 *  AWAIT_MESSAGE_2    &lt;-- e, ee, s, es, payload(id, sig, muxers) --  SEND_MESSAGE_2
 *  SEND_MESSAGE_3     -- s, se, payload(id, sig, muxers) --&gt;  AWAIT_MESSAGE_3
 *  COMPLETE                                                  COMPLETE
 *                 any failure: FAILED (terminal)
 * </pre>
 *
 * <p>Message 1 carries an empty payload (nothing is secret yet, so nothing may be sent). The remote's payload is
 * verified as soon as it arrives ({@link NoisePayload#verify}); the initiator therefore never sends message 3 to a
 * responder that failed to authenticate. When both sides offered stream muxers, the chosen one is the first of the
 * initiator's list that the responder also offered (inlined muxer negotiation spec); no overlap fails the handshake,
 * as js-libp2p does. If either side offered none, no muxer is chosen.
 */
public final class NoiseHandshake {

    /** Which end of the connection we are. */
    public enum Role { INITIATOR, RESPONDER }

    /** Where the handshake is. {@link #COMPLETE} and {@link #FAILED} are terminal. */
    public enum State {
        SEND_MESSAGE_1, AWAIT_MESSAGE_1, SEND_MESSAGE_2, AWAIT_MESSAGE_2, SEND_MESSAGE_3, AWAIT_MESSAGE_3,
        COMPLETE, FAILED;

        /** The first state of a role. */
        static State initial(Role role) {
            return role == Role.INITIATOR ? SEND_MESSAGE_1 : AWAIT_MESSAGE_1;
        }

        /** The state after this one has succeeded, for {@code role}; pure, so it is testable on its own. */
        State next(Role role) {
            boolean init = role == Role.INITIATOR;
            return switch (this) {
                case SEND_MESSAGE_1 -> AWAIT_MESSAGE_2;
                case AWAIT_MESSAGE_1 -> SEND_MESSAGE_2;
                case SEND_MESSAGE_2 -> AWAIT_MESSAGE_3;
                case AWAIT_MESSAGE_2 -> SEND_MESSAGE_3;
                case SEND_MESSAGE_3, AWAIT_MESSAGE_3 -> COMPLETE;
                default -> throw new InternalException("noise: no state after " + this + " as "
                    + (init ? "initiator" : "responder"));
            };
        }

        boolean isSend() {
            return this == SEND_MESSAGE_1 || this == SEND_MESSAGE_2 || this == SEND_MESSAGE_3;
        }

        boolean isAwait() {
            return this == AWAIT_MESSAGE_1 || this == AWAIT_MESSAGE_2 || this == AWAIT_MESSAGE_3;
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Role role;
    private final PrivKey identity;
    private final PeerId expectedRemote;
    private final List<String> localMuxers;
    private final NoiseKeyPair staticKey;
    private final HandshakeState noise;
    private State state;
    private NoisePayload.Verified remote;
    private String chosenMuxer;
    private NoiseSession session;

    /**
     * A handshake with fresh X25519 keys (static and ephemeral) from a {@link SecureRandom}.
     *
     * @param expectedRemote the peer we meant to reach (usually only known when dialing), or null to accept anyone
     * @param localMuxers    the muxers we offer in the handshake, ours in preference order; empty to offer none
     */
    public NoiseHandshake(Role role, PrivKey identity, PeerId expectedRemote, List<String> localMuxers) {
        this(role, identity, expectedRemote, localMuxers, NoiseKeyPair.generate(RANDOM),
            () -> NoiseKeyPair.generate(RANDOM));
    }

    /**
     * A handshake with given keys: the static key may be kept for the process lifetime (never stored), the ephemeral
     * supplier is called once and must return a fresh key except in tests with fixed vectors.
     */
    public NoiseHandshake(Role role, PrivKey identity, PeerId expectedRemote, List<String> localMuxers,
                          NoiseKeyPair staticKey, Supplier<NoiseKeyPair> ephemeralKeys) {
        if (role == null || identity == null || localMuxers == null || staticKey == null || ephemeralKeys == null) {
            throw new ConfigurationException("noise: role, identity, muxer list and keys are required");
        }
        this.role = role;
        this.identity = identity;
        this.expectedRemote = expectedRemote;
        this.localMuxers = List.copyOf(localMuxers);
        this.staticKey = staticKey;
        this.noise = new HandshakeState(role == Role.INITIATOR, new byte[0], staticKey, ephemeralKeys);
        this.state = State.initial(role);
    }

    public Role role() {
        return role;
    }

    public State state() {
        return state;
    }

    /** The peer we expect to authenticate, or null. */
    public PeerId expectedRemote() {
        return expectedRemote;
    }

    /** The result; only in state {@link State#COMPLETE}. */
    public NoiseSession session() {
        if (state != State.COMPLETE) {
            throw new InternalException("noise: no session in state " + state);
        }
        return session;
    }

    /** Writes our next handshake message; only in a {@code SEND_*} state. */
    public byte[] writeMessage() {
        if (!state.isSend()) {
            throw new InternalException("noise: cannot write a handshake message in state " + state);
        }
        try {
            byte[] payload = state == State.SEND_MESSAGE_1 ? new byte[0]
                : NoisePayload.encode(identity, staticKey.publicKeyUnsafe(), localMuxers);
            byte[] message = noise.writeMessage(payload);
            advance();
            return message;
        } catch (RuntimeException e) {
            state = State.FAILED;
            throw e;
        }
    }

    /**
     * Consumes the remote's next handshake message; only in an {@code AWAIT_*} state.
     *
     * @throws ProtocolViolationException if the message is malformed, does not decrypt, or the payload does not
     *                                    authenticate; the handshake is then {@link State#FAILED}
     */
    public void readMessage(byte[] message) {
        if (!state.isAwait()) {
            throw new InternalException("noise: cannot read a handshake message in state " + state);
        }
        try {
            byte[] payload = noise.readMessage(message);
            if (state != State.AWAIT_MESSAGE_1) {
                // Message 1's payload is plaintext and unauthenticated: nothing in it may be trusted, so it is ignored.
                remote = NoisePayload.verify(payload, noise.remoteStaticKey(), expectedRemote);
                chosenMuxer = chooseMuxer();
            }
            advance();
        } catch (RuntimeException e) {
            state = State.FAILED;
            throw e;
        }
    }

    private void advance() {
        state = state.next(role);
        if (state == State.COMPLETE) {
            CipherState[] pair = noise.split();
            session = new NoiseSession(pair[0], pair[1], remote.remoteKey(), remote.remotePeer(),
                remote.streamMuxers(), chosenMuxer, noise.handshakeHash());
        }
    }

    private String chooseMuxer() {
        List<String> theirs = remote.streamMuxers();
        if (localMuxers.isEmpty() || theirs.isEmpty()) {
            return null;
        }
        List<String> initiators = role == Role.INITIATOR ? localMuxers : theirs;
        List<String> responders = role == Role.INITIATOR ? theirs : localMuxers;
        for (String muxer : initiators) {
            if (responders.contains(muxer)) {
                return muxer;
            }
        }
        throw new ProtocolViolationException("noise: no stream muxer in common with peer " + remote.remotePeer()
            + ": we offer " + localMuxers + ", it offers " + theirs);
    }
}
