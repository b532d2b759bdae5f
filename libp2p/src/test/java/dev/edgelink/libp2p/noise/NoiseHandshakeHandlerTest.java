package dev.edgelink.libp2p.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.noise.NoiseHandshake.Role;
import dev.edgelink.libp2p.noise.NoiseTransportCodecTest.Recorder;
import dev.edgelink.libp2p.peer.PeerId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Transport cipher states use the JDK cipher here; {@link NoiseHandshakeHandlerOpenSslTest} repeats every test on
 * OpenSSL.
 */
@ExtendWith(JdkCipherByDefault.class)
class NoiseHandshakeHandlerTest {

    private static final List<String> MUXERS = List.of("/yamux/1.0.0");
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final PrivKey alice = Keys.generateEd25519();
    private final PrivKey bob = Keys.generateEd25519();
    private final Recorder aliceUp = new Recorder();
    private final Recorder bobUp = new Recorder();
    private EmbeddedChannel aliceCh;
    private EmbeddedChannel bobCh;

    @AfterEach
    void tearDown() {
        if (aliceCh != null) {
            aliceCh.finishAndReleaseAll();
        }
        if (bobCh != null) {
            bobCh.finishAndReleaseAll();
        }
        aliceUp.releaseAll();
        bobUp.releaseAll();
        NoiseTestSupport.provokeLeakReports();
    }

    @ParameterizedTest(name = "alice is {0}")
    @EnumSource(Role.class)
    void handshakeSecuresBothEndsAndCarriesDataBothWays(Role aliceRole) {
        Role bobRole = aliceRole == Role.INITIATOR ? Role.RESPONDER : Role.INITIATOR;
        PeerId bobId = PeerId.fromPublicKey(bob.publicKey());
        aliceCh = channel(new NoiseHandshakeHandler(alice, aliceRole, aliceRole == Role.INITIATOR ? bobId : null,
            MUXERS, TIMEOUT, null, NoiseHandshakeHandler.DEFAULT_MAX_MESSAGE_SIZE), aliceUp);
        bobCh = channel(new NoiseHandshakeHandler(bob, bobRole, null, MUXERS, TIMEOUT, null,
            NoiseHandshakeHandler.DEFAULT_MAX_MESSAGE_SIZE), bobUp);
        shuttle();

        NoiseSecured atAlice = secured(aliceUp);
        NoiseSecured atBob = secured(bobUp);
        assertEquals(bobId, atAlice.remotePeer());
        assertEquals(bob.publicKey(), atAlice.remoteKey());
        assertEquals(PeerId.fromPublicKey(alice.publicKey()), atBob.remotePeer());
        assertEquals("/yamux/1.0.0", atAlice.chosenMuxerOrNull());
        assertEquals(MUXERS, atBob.remoteMuxers());
        assertNull(aliceCh.pipeline().get(NoiseHandshakeHandler.class));
        assertNotNull(aliceCh.pipeline().get(NoiseTransportCodec.class));

        byte[] big = NoiseTransportCodecTest.random(1 << 20);
        aliceCh.writeAndFlush(Unpooled.wrappedBuffer(big));
        shuttleInOddSlices(aliceCh, bobCh, 7919);
        assertArrayEquals(big, bobUp.bytes());

        byte[] reply = NoiseTransportCodecTest.random(100_000);
        for (int off = 0; off < reply.length; off += 4099) {
            bobCh.write(Unpooled.wrappedBuffer(reply, off, Math.min(4099, reply.length - off)));
            if (off % 3 == 0) {
                bobCh.flush();
            }
        }
        bobCh.flush();
        shuttleInOddSlices(bobCh, aliceCh, 65_539);
        assertArrayEquals(reply, aliceUp.bytes());
    }

    @Test
    void bytesInTheSameReadAsMessage3ReachTheTransportCodecAfterTheEvent() {
        aliceCh = channel(handler(alice, Role.INITIATOR, null, 65535), aliceUp);
        bobCh = channel(handler(bob, Role.RESPONDER, null, 65535), bobUp);
        bobCh.writeInbound((ByteBuf) aliceCh.readOutbound());
        aliceCh.writeInbound((ByteBuf) bobCh.readOutbound());
        ByteBuf msg3 = aliceCh.readOutbound();
        // Alice is secured now; what she sends next lands in the same read as message 3 at Bob's.
        aliceCh.writeAndFlush(Unpooled.wrappedBuffer("early".getBytes()));
        ByteBuf data = aliceCh.readOutbound();
        bobCh.writeInbound(Unpooled.wrappedBuffer(msg3, data));
        assertEquals(1, bobUp.events.size());
        assertInstanceOf(NoiseSecured.class, bobUp.events.get(0));
        assertArrayEquals("early".getBytes(), bobUp.bytes());
    }

    @Test
    void writesFromAboveDuringTheHandshakeAreHeldAndSentEncrypted() {
        aliceCh = channel(handler(alice, Role.INITIATOR, null, 65535), aliceUp);
        bobCh = channel(handler(bob, Role.RESPONDER, null, 65535), bobUp);
        ChannelFuture early = aliceCh.writeAndFlush(Unpooled.wrappedBuffer("held".getBytes()));
        assertFalse(early.isDone());
        shuttle();
        assertTrue(early.isSuccess());
        assertArrayEquals("held".getBytes(), bobUp.bytes());
    }

    @Test
    void invalidSignatureClosesWithTypedException() {
        PrivKey liar = NoiseTestSupport.lyingIdentity(bob, Keys.generateEd25519().publicKey());
        aliceCh = channel(handler(alice, Role.INITIATOR, null, 65535), aliceUp);
        bobCh = channel(handler(liar, Role.RESPONDER, null, 65535), bobUp);
        shuttle();
        ProtocolViolationException e = assertInstanceOf(ProtocolViolationException.class, aliceUp.error);
        assertTrue(e.getMessage().startsWith("noise: identity signature does not verify for peer "), e.getMessage());
        assertFalse(aliceCh.isOpen());
        assertTrue(aliceUp.events.isEmpty());
    }

    @Test
    void expectedPeerMismatchClosesWithTypedException() {
        PeerId someoneElse = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        aliceCh = channel(handler(alice, Role.INITIATOR, someoneElse, 65535), aliceUp);
        bobCh = channel(handler(bob, Role.RESPONDER, null, 65535), bobUp);
        shuttle();
        ProtocolViolationException e = assertInstanceOf(ProtocolViolationException.class, aliceUp.error);
        assertTrue(e.getMessage().contains("but the remote authenticated as"), e.getMessage());
        assertFalse(aliceCh.isOpen());
        // Bob never got message 3: his channel sees the close as a transport failure.
        assertInstanceOf(TransportException.class, bobUp.error);
        assertFalse(bobCh.isOpen());
    }

    @Test
    void handshakeMessageOverTheLimitIsRejected() {
        aliceCh = channel(handler(alice, Role.INITIATOR, null, 100), aliceUp);
        bobCh = channel(handler(bob, Role.RESPONDER, null, 65535), bobUp);
        shuttle();
        LimitExceededException e = assertInstanceOf(LimitExceededException.class, aliceUp.error);
        assertTrue(e.getMessage().startsWith("noise handshake message size exceeded: "), e.getMessage());
        assertFalse(aliceCh.isOpen());
    }

    @Test
    void garbageFirstMessageIsRejected() {
        bobCh = channel(handler(bob, Role.RESPONDER, null, 65535), bobUp);
        bobCh.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 3, 1, 2, 3}));
        assertInstanceOf(ProtocolViolationException.class, bobUp.error);
        assertFalse(bobCh.isOpen());
    }

    @Test
    void garbageSecondMessageIsRejected() {
        aliceCh = channel(handler(alice, Role.INITIATOR, null, 65535), aliceUp);
        ((ByteBuf) aliceCh.readOutbound()).release();
        byte[] garbage = NoiseTransportCodecTest.random(202);
        garbage[0] = 0;
        garbage[1] = (byte) 200;
        aliceCh.writeInbound(Unpooled.wrappedBuffer(garbage));
        ProtocolViolationException e = assertInstanceOf(ProtocolViolationException.class, aliceUp.error);
        assertTrue(e.getMessage().contains("failed authentication"), e.getMessage());
    }

    @Test
    void truncatedMessageThenCloseIsATransportFailure() {
        bobCh = channel(handler(bob, Role.RESPONDER, null, 65535), bobUp);
        bobCh.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 32, 1, 2, 3}));
        assertNull(bobUp.error);
        bobCh.close();
        TransportException e = assertInstanceOf(TransportException.class, bobUp.error);
        assertTrue(e.getMessage().contains("closed during the handshake"), e.getMessage());
    }

    @Test
    void timeoutFiresExactlyAtTheDeadline() {
        bobCh = new EmbeddedChannel();
        bobCh.freezeTime();
        bobCh.pipeline().addLast(handler(bob, Role.RESPONDER, null, 65535), bobUp);
        bobCh.advanceTimeBy(TIMEOUT.toNanos() - 1, TimeUnit.NANOSECONDS);
        bobCh.runScheduledPendingTasks();
        assertNull(bobUp.error);
        assertTrue(bobCh.isOpen());
        bobCh.advanceTimeBy(1, TimeUnit.NANOSECONDS);
        bobCh.runScheduledPendingTasks();
        TransportException e = assertInstanceOf(TransportException.class, bobUp.error);
        assertEquals("noise: handshake did not finish within 10000 ms (stuck in AWAIT_MESSAGE_1)", e.getMessage());
        assertFalse(bobCh.isOpen());
    }

    private static NoiseHandshakeHandler handler(PrivKey id, Role role, PeerId expected, int max) {
        return new NoiseHandshakeHandler(id, role, expected, MUXERS, TIMEOUT, null, max);
    }

    private static EmbeddedChannel channel(NoiseHandshakeHandler handler, Recorder up) {
        return new EmbeddedChannel(handler, up);
    }

    private static NoiseSecured secured(Recorder up) {
        assertNull(up.error, () -> "unexpected failure: " + up.error);
        assertEquals(1, up.events.size());
        return assertInstanceOf(NoiseSecured.class, up.events.get(0));
    }

    /** Moves bytes between the two channels until neither has anything to send. */
    private void shuttle() {
        boolean moved = true;
        while (moved) {
            moved = move(aliceCh, bobCh) | move(bobCh, aliceCh);
        }
    }

    private static boolean move(EmbeddedChannel from, EmbeddedChannel to) {
        boolean moved = false;
        for (Object o = from.readOutbound(); o != null; o = from.readOutbound()) {
            moved = true;
            if (to.isOpen()) {
                to.writeInbound(o);
            } else {
                ((ByteBuf) o).release();
            }
        }
        if (!from.isOpen() && to.isOpen()) {
            to.close();
        }
        return moved;
    }

    private static void shuttleInOddSlices(EmbeddedChannel from, EmbeddedChannel to, int slice) {
        ByteBuf wire = NoiseTransportCodecTest.concat(NoiseTransportCodecTest.drainOutbound(from));
        while (wire.isReadable()) {
            to.writeInbound(wire.readRetainedSlice(Math.min(slice, wire.readableBytes())));
        }
        wire.release();
    }
}
