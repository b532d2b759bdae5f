package dev.edgelink.discovery.internal.members;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgelink.discovery.TestRecords;
import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.peer.PeerId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Frames of /edgelink/members/1.0.0: vectors, partial input, and one negative test per limit. */
class MembersCodecTest {

    private static final MembersCodec.Limits LIMITS = new MembersCodec.Limits(1024, 4, 4);
    private static final PeerId PEER = TestRecords.peerOf(TestRecords.fixedKey());

    static Exchange vectorMessage(String name) {
        return switch (name) {
            case "empty-digest" -> Exchange.digestOnly(Map.of());
            case "one-digest-entry" -> Exchange.digestOnly(Map.of(PEER, 5L));
            case "one-record" -> Exchange.recordsOnly(List.of(new byte[] {1, 2, 3}));
            case "digest-and-record" -> new Exchange(Map.of(PEER, 5L), List.of(new byte[] {1, 2, 3}));
            default -> throw new IllegalArgumentException(name);
        };
    }

    static Stream<Arguments> vectors() throws IOException {
        List<Arguments> out = new ArrayList<>();
        try (InputStream in = MembersCodecTest.class.getResourceAsStream("members-vectors.csv");
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    String[] parts = line.split(",");
                    out.add(Arguments.of(parts[0], parts[1]));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void encodesToTheVectorBytes(String name, String hex) {
        assertEquals(hex, HexFormat.of().formatHex(MembersCodec.encode(vectorMessage(name))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void decodesTheVectorBytes(String name, String hex) {
        ByteBuf in = Unpooled.wrappedBuffer(HexFormat.of().parseHex(hex));
        Exchange decoded = MembersCodec.decode(in, LIMITS);
        Exchange expected = vectorMessage(name);
        assertEquals(expected.digest(), decoded.digest());
        assertEquals(expected.records().size(), decoded.records().size());
        for (int i = 0; i < expected.records().size(); i++) {
            assertArrayEquals(expected.records().get(i), decoded.records().get(i));
        }
        assertEquals(0, in.readableBytes());
    }

    @Test
    void aFrameArrivingInPiecesIsDecodedOnceComplete() {
        byte[] frame = MembersCodec.encode(vectorMessage("digest-and-record"));
        ByteBuf in = Unpooled.buffer();
        for (int i = 0; i < frame.length - 1; i++) {
            in.writeByte(frame[i]);
            assertNull(MembersCodec.decode(in, LIMITS));
            assertEquals(0, in.readerIndex(), "nothing consumed before the frame is whole");
        }
        in.writeByte(frame[frame.length - 1]);
        assertEquals(Map.of(PEER, 5L), MembersCodec.decode(in, LIMITS).digest());
    }

    @Test
    void aLengthOverTheMessageLimitIsRefusedBeforeTheBodyArrives() {
        ByteBuf in = Unpooled.wrappedBuffer(new byte[] {(byte) 0x81, 0x08});
        assertThrows(LimitExceededException.class, () -> MembersCodec.decode(in, LIMITS));
    }

    @Test
    void moreDigestEntriesOrRecordsThanTheLimitAreRefused() {
        Map<PeerId, Long> digest = new java.util.HashMap<>();
        for (int i = 0; i < 5; i++) {
            digest.put(TestRecords.peerOf(dev.edgelink.libp2p.crypto.Keys.generateEd25519()), 1L);
        }
        ByteBuf many = Unpooled.wrappedBuffer(MembersCodec.encode(Exchange.digestOnly(digest)));
        assertThrows(LimitExceededException.class, () -> MembersCodec.decode(many, LIMITS));
        List<byte[]> records = List.of(new byte[1], new byte[1], new byte[1], new byte[1], new byte[1]);
        ByteBuf five = Unpooled.wrappedBuffer(MembersCodec.encode(Exchange.recordsOnly(records)));
        assertThrows(LimitExceededException.class, () -> MembersCodec.decode(five, LIMITS));
    }

    @Test
    void malformedFramesAreProtocolViolations() {
        assertThrows(ProtocolViolationException.class,
                () -> MembersCodec.decode(Unpooled.wrappedBuffer(new byte[] {2, (byte) 0xff, 1}), LIMITS));
        // A digest entry whose peer id is not a multihash.
        assertThrows(ProtocolViolationException.class,
                () -> MembersCodec.decode(Unpooled.wrappedBuffer(HexFormat.of().parseHex("060a040a020102")), LIMITS));
        // The same peer twice.
        String entry = "0a2a0a26" + HexFormat.of().formatHex(PEER.toBytes()) + "1005";
        byte[] twice = HexFormat.of().parseHex(entry + entry);
        byte[] frame = new byte[twice.length + 1];
        frame[0] = (byte) twice.length;
        System.arraycopy(twice, 0, frame, 1, twice.length);
        assertThrows(ProtocolViolationException.class,
                () -> MembersCodec.decode(Unpooled.wrappedBuffer(frame), LIMITS));
    }
}
