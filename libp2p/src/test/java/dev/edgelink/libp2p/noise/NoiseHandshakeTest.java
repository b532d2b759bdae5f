package dev.edgelink.libp2p.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.InternalException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.noise.NoiseHandshake.Role;
import dev.edgelink.libp2p.noise.NoiseHandshake.State;
import dev.edgelink.libp2p.peer.PeerId;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Transport cipher states use the JDK cipher here; {@link NoiseHandshakeOpenSslTest} repeats every test on
 * OpenSSL.
 */
@ExtendWith(JdkCipherByDefault.class)
class NoiseHandshakeTest {

    private final PrivKey alice = Keys.generateEd25519();
    private final PrivKey bob = Keys.generateEd25519();

    @Test
    void stateTransitionsFollowXxForBothRoles() {
        assertEquals(State.SEND_MESSAGE_1, State.initial(Role.INITIATOR));
        assertEquals(State.AWAIT_MESSAGE_2, State.SEND_MESSAGE_1.next(Role.INITIATOR));
        assertEquals(State.SEND_MESSAGE_3, State.AWAIT_MESSAGE_2.next(Role.INITIATOR));
        assertEquals(State.COMPLETE, State.SEND_MESSAGE_3.next(Role.INITIATOR));
        assertEquals(State.AWAIT_MESSAGE_1, State.initial(Role.RESPONDER));
        assertEquals(State.SEND_MESSAGE_2, State.AWAIT_MESSAGE_1.next(Role.RESPONDER));
        assertEquals(State.AWAIT_MESSAGE_3, State.SEND_MESSAGE_2.next(Role.RESPONDER));
        assertEquals(State.COMPLETE, State.AWAIT_MESSAGE_3.next(Role.RESPONDER));
        assertThrows(InternalException.class, () -> State.COMPLETE.next(Role.INITIATOR));
        assertThrows(InternalException.class, () -> State.FAILED.next(Role.RESPONDER));
    }

    @Test
    void completedHandshakeAuthenticatesBothSidesAndKeysMatch() {
        NoiseHandshake init = new NoiseHandshake(Role.INITIATOR, alice, PeerId.fromPublicKey(bob.publicKey()),
            List.of("/yamux/1.0.0"));
        NoiseHandshake resp = new NoiseHandshake(Role.RESPONDER, bob, null, List.of("/yamux/1.0.0"));
        run(init, resp);
        NoiseSession a = init.session();
        NoiseSession b = resp.session();
        assertEquals(PeerId.fromPublicKey(bob.publicKey()), a.remotePeer());
        assertEquals(PeerId.fromPublicKey(alice.publicKey()), b.remotePeer());
        assertEquals(bob.publicKey(), a.remoteKey());
        assertArrayEquals(a.handshakeHash(), b.handshakeHash());
        assertEquals("/yamux/1.0.0", a.chosenMuxer());
        assertEquals("/yamux/1.0.0", b.chosenMuxer());
        assertEquals(List.of("/yamux/1.0.0"), a.remoteMuxers());
        byte[] hello = "hello".getBytes();
        byte[] wire = new byte[hello.length + 16];
        a.sender().encrypt(hello, 0, hello.length, wire, 0);
        byte[] back = new byte[hello.length];
        b.receiver().decrypt(wire, 0, wire.length, back, 0);
        assertArrayEquals(hello, back);
        b.sender().encrypt(hello, 0, hello.length, wire, 0);
        a.receiver().decrypt(wire, 0, wire.length, back, 0);
        assertArrayEquals(hello, back);
    }

    static Stream<Arguments> muxerOffers() {
        return Stream.of(
            Arguments.of(List.of("/yamux/1.0.0", "/mplex/6.7.0"), List.of("/mplex/6.7.0", "/yamux/1.0.0"),
                "/yamux/1.0.0"),
            Arguments.of(List.of("/mplex/6.7.0", "/yamux/1.0.0"), List.of("/yamux/1.0.0"), "/yamux/1.0.0"),
            Arguments.of(List.of(), List.of("/yamux/1.0.0"), null),
            Arguments.of(List.of("/yamux/1.0.0"), List.of(), null),
            Arguments.of(List.of(), List.of(), null));
    }

    @ParameterizedTest(name = "initiator {0}, responder {1} -> {2}")
    @MethodSource("muxerOffers")
    void muxerIsInitiatorsFirstChoiceThatResponderOffers(List<String> initMuxers, List<String> respMuxers,
                                                        String expected) {
        NoiseHandshake init = new NoiseHandshake(Role.INITIATOR, alice, null, initMuxers);
        NoiseHandshake resp = new NoiseHandshake(Role.RESPONDER, bob, null, respMuxers);
        run(init, resp);
        assertEquals(expected, init.session().chosenMuxer());
        assertEquals(expected, resp.session().chosenMuxer());
        assertEquals(respMuxers, init.session().remoteMuxers());
        assertEquals(initMuxers, resp.session().remoteMuxers());
    }

    @Test
    void disjointMuxerOffersFailTheHandshakeBeforeMessage3() {
        NoiseHandshake init = new NoiseHandshake(Role.INITIATOR, alice, null, List.of("/yamux/1.0.0"));
        NoiseHandshake resp = new NoiseHandshake(Role.RESPONDER, bob, null, List.of("/mplex/6.7.0"));
        resp.readMessage(init.writeMessage());
        byte[] msg2 = resp.writeMessage();
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class, () -> init.readMessage(msg2));
        assertTrue(e.getMessage().startsWith("noise: no stream muxer in common with peer "), e.getMessage());
        assertEquals(State.FAILED, init.state());
    }

    @Test
    void unexpectedPeerIsRejectedByTheDialer() {
        PeerId expected = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        NoiseHandshake init = new NoiseHandshake(Role.INITIATOR, alice, expected, List.of());
        NoiseHandshake resp = new NoiseHandshake(Role.RESPONDER, bob, null, List.of());
        resp.readMessage(init.writeMessage());
        byte[] msg2 = resp.writeMessage();
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class, () -> init.readMessage(msg2));
        assertEquals("noise: dialed peer " + expected + " but the remote authenticated as "
            + PeerId.fromPublicKey(bob.publicKey()), e.getMessage());
        assertEquals(State.FAILED, init.state());
    }

    @Test
    void signatureByAnotherKeyIsRejected() {
        PrivKey liar = NoiseTestSupport.lyingIdentity(bob, alice.publicKey());
        NoiseHandshake init = new NoiseHandshake(Role.INITIATOR, Keys.generateEd25519(), null, List.of());
        NoiseHandshake resp = new NoiseHandshake(Role.RESPONDER, liar, null, List.of());
        resp.readMessage(init.writeMessage());
        byte[] msg2 = resp.writeMessage();
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class, () -> init.readMessage(msg2));
        assertEquals("noise: identity signature does not verify for peer " + PeerId.fromPublicKey(alice.publicKey()),
            e.getMessage());
    }

    @Test
    void responderRejectsForgedMessage3() {
        PrivKey liar = NoiseTestSupport.lyingIdentity(alice, bob.publicKey());
        NoiseHandshake init = new NoiseHandshake(Role.INITIATOR, liar, null, List.of());
        NoiseHandshake resp = new NoiseHandshake(Role.RESPONDER, Keys.generateEd25519(), null, List.of());
        resp.readMessage(init.writeMessage());
        init.readMessage(resp.writeMessage());
        byte[] msg3 = init.writeMessage();
        assertThrows(ProtocolViolationException.class, () -> resp.readMessage(msg3));
        assertEquals(State.FAILED, resp.state());
    }

    @Test
    void truncatedMessagesAreProtocolViolations() {
        NoiseHandshake resp = new NoiseHandshake(Role.RESPONDER, bob, null, List.of());
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class,
            () -> resp.readMessage(new byte[10]));
        assertEquals("noise: handshake message 1 of 10 bytes is too short for an ephemeral key (32 bytes)",
            e.getMessage());
        NoiseHandshake init = new NoiseHandshake(Role.INITIATOR, alice, null, List.of());
        NoiseHandshake resp2 = new NoiseHandshake(Role.RESPONDER, bob, null, List.of());
        resp2.readMessage(init.writeMessage());
        byte[] msg2 = resp2.writeMessage();
        byte[] cut = Arrays.copyOf(msg2, 60);
        assertThrows(ProtocolViolationException.class, () -> init.readMessage(cut));
    }

    @Test
    void garbagePayloadIsNamed() {
        byte[] garbage = {(byte) 0xff, (byte) 0xff, 0x01};
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class,
            () -> NoisePayload.verify(garbage, new byte[32], null));
        assertTrue(e.getMessage().startsWith("noise: handshake payload is not a NoiseHandshakePayload"),
            e.getMessage());
        ProtocolViolationException noKey = assertThrows(ProtocolViolationException.class,
            () -> NoisePayload.verify(new byte[0], new byte[32], null));
        assertEquals("noise: handshake payload carries no identity key", noKey.getMessage());
    }

    @Test
    void callingOutOfTurnIsABug() {
        NoiseHandshake resp = new NoiseHandshake(Role.RESPONDER, bob, null, List.of());
        assertThrows(InternalException.class, resp::writeMessage);
        assertThrows(InternalException.class, resp::session);
        NoiseHandshake init = new NoiseHandshake(Role.INITIATOR, alice, null, List.of());
        assertThrows(InternalException.class, () -> init.readMessage(new byte[32]));
        assertNull(init.expectedRemote());
    }

    static void run(NoiseHandshake init, NoiseHandshake resp) {
        resp.readMessage(init.writeMessage());
        init.readMessage(resp.writeMessage());
        resp.readMessage(init.writeMessage());
        assertEquals(State.COMPLETE, init.state());
        assertEquals(State.COMPLETE, resp.state());
    }
}
