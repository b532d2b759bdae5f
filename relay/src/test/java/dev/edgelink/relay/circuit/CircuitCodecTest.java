package dev.edgelink.relay.circuit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.encoding.Varint;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.relay.circuit.pb.CircuitProto.HopMessage;
import dev.edgelink.relay.circuit.pb.CircuitProto.Status;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The hop/stop framing, the limit type and reservation vouchers in signed envelopes. */
class CircuitCodecTest {

    private static final PrivKey RELAY = Keys.generateEd25519();
    private static final PeerId RELAY_ID = PeerId.fromPublicKey(RELAY.publicKey());
    private static final PeerId PEER = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());

    @Test
    void aStatusMessageIsFramedExactlyAsTheSpecSays() {
        ByteBuf framed = CircuitCodec.frame(HopMessage.newBuilder().setType(HopMessage.Type.STATUS)
                .setStatus(Status.OK).build());
        // length 4 | field 1 varint: 2 (STATUS) | field 5 varint: 100 (OK)
        byte[] expected = {0x04, 0x08, 0x02, 0x28, 0x64};
        byte[] actual = new byte[framed.readableBytes()];
        framed.readBytes(actual);
        framed.release();
        assertArrayEquals(expected, actual);
    }

    @Test
    void aMessageIsTakenOnlyWhenItIsComplete() {
        ByteBuf framed = CircuitCodec.frame(HopMessage.newBuilder().setType(HopMessage.Type.CONNECT)
                .setPeer(CircuitCodec.peer(PEER)).build());
        ByteBuf partial = framed.retainedSlice(0, framed.readableBytes() - 1);
        assertNull(CircuitCodec.nextBody(partial));
        assertEquals(0, partial.readerIndex());
        partial.release();
        HopMessage decoded = CircuitCodec.decodeHop(CircuitCodec.nextBody(framed));
        assertEquals(PEER, CircuitCodec.peerId(decoded.getPeer()));
        assertEquals(0, framed.readableBytes());
        framed.release();
    }

    @Test
    void anOversizedLengthIsRefusedBeforeTheBodyArrives() {
        ByteBuf in = Unpooled.buffer();
        Varint.write(CircuitCodec.MAX_MESSAGE + 1, in);
        assertThrows(LimitExceededException.class, () -> CircuitCodec.nextBody(in));
        in.release();
    }

    @Test
    void garbageIsAMalformedMessage() {
        assertThrows(ProtocolViolationException.class, () -> CircuitCodec.decodeHop(new byte[] {(byte) 0xff, 1}));
        assertThrows(ProtocolViolationException.class, () -> CircuitCodec.decodeStop(new byte[0]),
                "the type field is required");
    }

    @Test
    void aLimitRoundTripsAndAbsentPartsMeanUnlimited() {
        CircuitLimit limit = new CircuitLimit(Duration.ofSeconds(120), 1 << 17);
        assertEquals(limit, CircuitLimit.fromProto(limit.toProto()));
        CircuitLimit onlyData = CircuitLimit.fromProto(
                dev.edgelink.relay.circuit.pb.CircuitProto.Limit.newBuilder().setData(5).build());
        assertEquals(5, onlyData.dataBytes());
        assertEquals(Duration.ofSeconds(0xffffffffL), onlyData.duration());
    }

    @Test
    void aVoucherOpensForItsRelayAndPeer() {
        byte[] sealed = new Voucher(RELAY_ID, PEER, 1_900_000_000L).seal(RELAY);
        Voucher opened = Voucher.open(sealed, RELAY_ID, PEER);
        assertEquals(1_900_000_000L, opened.expiration());
    }

    @Test
    void aTamperedOrMisaddressedVoucherIsRefused() {
        byte[] sealed = new Voucher(RELAY_ID, PEER, 1_900_000_000L).seal(RELAY);
        byte[] tampered = sealed.clone();
        tampered[tampered.length - 1] ^= 1; // inside the signature, the last field
        assertThrows(ProtocolViolationException.class, () -> Voucher.open(tampered, RELAY_ID, PEER));
        assertThrows(ProtocolViolationException.class, () -> Voucher.open(sealed, PEER, PEER));
        PeerId other = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        assertThrows(ProtocolViolationException.class, () -> Voucher.open(sealed, RELAY_ID, other));
        byte[] otherDomain = SignedEnvelope.seal(RELAY, "libp2p-routing-state", Voucher.PAYLOAD_TYPE, new byte[3]);
        assertThrows(ProtocolViolationException.class, () -> Voucher.open(otherDomain, RELAY_ID, PEER));
    }
}
