package dev.edgelink.discovery.internal.members;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgelink.discovery.TestRecords;
import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.crypto.Keys;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Frames of /edgelink/members/2.0.0: vectors, partial input, and one negative test per limit. */
class MembersCodecTest {

    private static final MembersCodec.Limits LIMITS = new MembersCodec.Limits(1024, 4, 4);
    private static final PeerId PEER = TestRecords.peerOf(TestRecords.fixedKey());

    static Exchange vectorMessage(String name) {
        return switch (name) {
            case "empty" -> Exchange.builder().build();
            case "announce" -> Exchange.builder().announce(new Exchange.Entry(PEER, 5)).build();
            case "record" -> Exchange.builder().record(new byte[] {1, 2, 3}).build();
            case "root-summary" -> Exchange.builder().range(new Exchange.Summary(KeyRange.ROOT, 3,
                    0x0102030405060708L)).maxReplyBytes(65536).build();
            case "items-want-more" -> Exchange.builder().items(new Exchange.Items(new KeyRange(1, 0),
                    List.of(new Exchange.Entry(PEER, 5)))).want(PEER).more(true).build();
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
        assertEquals(expected.ranges(), decoded.ranges());
        assertEquals(expected.items(), decoded.items());
        assertEquals(expected.announce(), decoded.announce());
        assertEquals(expected.want(), decoded.want());
        assertEquals(expected.maxReplyBytes(), decoded.maxReplyBytes());
        assertEquals(expected.more(), decoded.more());
        assertEquals(expected.records().size(), decoded.records().size());
        for (int i = 0; i < expected.records().size(); i++) {
            assertArrayEquals(expected.records().get(i), decoded.records().get(i));
        }
        assertEquals(0, in.readableBytes());
    }

    @Test
    void aFrameArrivingInPiecesIsDecodedOnceComplete() {
        byte[] frame = MembersCodec.encode(vectorMessage("items-want-more"));
        ByteBuf in = Unpooled.buffer();
        for (int i = 0; i < frame.length - 1; i++) {
            in.writeByte(frame[i]);
            assertNull(MembersCodec.decode(in, LIMITS));
            assertEquals(0, in.readerIndex(), "nothing consumed before the frame is whole");
        }
        in.writeByte(frame[frame.length - 1]);
        assertEquals(List.of(PEER), MembersCodec.decode(in, LIMITS).want());
    }

    @Test
    void aLengthOverTheMessageLimitIsRefusedBeforeTheBodyArrives() {
        ByteBuf in = Unpooled.wrappedBuffer(new byte[] {(byte) 0x81, 0x08});
        assertThrows(LimitExceededException.class, () -> MembersCodec.decode(in, LIMITS));
    }

    @Test
    void moreEntriesOrRecordsThanTheLimitAreRefused() {
        Exchange.Builder wants = Exchange.builder();
        Exchange.Builder listed = Exchange.builder();
        List<Exchange.Entry> entries = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            PeerId p = TestRecords.peerOf(Keys.generateEd25519());
            wants.want(p);
            entries.add(new Exchange.Entry(p, 1));
        }
        assertThrows(LimitExceededException.class, () -> decode(wants.build()));
        // Four entries in one listing are one entry too many with the listing's own.
        listed.items(new Exchange.Items(KeyRange.ROOT, entries.subList(0, 4)));
        assertThrows(LimitExceededException.class, () -> decode(listed.build()));
        Exchange.Builder five = Exchange.builder();
        for (int i = 0; i < 5; i++) {
            five.record(new byte[1]);
        }
        assertThrows(LimitExceededException.class, () -> decode(five.build()));
        Exchange.Builder ranges = Exchange.builder();
        for (int i = 0; i < 5; i++) {
            ranges.range(new Exchange.Summary(KeyRange.ROOT.child(i), 1, i));
        }
        assertThrows(LimitExceededException.class, () -> decode(ranges.build()));
    }

    private static Exchange decode(Exchange m) {
        return MembersCodec.decode(Unpooled.wrappedBuffer(MembersCodec.encode(m)), LIMITS);
    }

    @Test
    void malformedFramesAreProtocolViolations() {
        assertThrows(ProtocolViolationException.class,
                () -> MembersCodec.decode(Unpooled.wrappedBuffer(new byte[] {2, (byte) 0xff, 1}), LIMITS));
        // A want that is not a multihash.
        assertThrows(ProtocolViolationException.class,
                () -> MembersCodec.decode(Unpooled.wrappedBuffer(HexFormat.of().parseHex("042202ffff")), LIMITS));
        // A range of depth 1 whose prefix has more than one nibble.
        assertThrows(ProtocolViolationException.class,
                () -> MembersCodec.decode(Unpooled.wrappedBuffer(HexFormat.of().parseHex("060a0408011010")), LIMITS));
        // A range deeper than a key.
        assertThrows(ProtocolViolationException.class,
                () -> MembersCodec.decode(Unpooled.wrappedBuffer(HexFormat.of().parseHex("040a020811")), LIMITS));
    }
}
