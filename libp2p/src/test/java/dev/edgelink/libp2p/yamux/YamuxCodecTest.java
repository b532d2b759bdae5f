package dev.edgelink.libp2p.yamux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class YamuxCodecTest {

    static Stream<Arguments> headerVectors() throws IOException {
        return vectors("/yamux/header-vectors.csv");
    }

    static Stream<Arguments> jsFrames() throws IOException {
        return vectors("/yamux/js-yamux-frames.csv");
    }

    private static Stream<Arguments> vectors(String resource) throws IOException {
        List<Arguments> out = new ArrayList<>();
        try (InputStream in = YamuxCodecTest.class.getResourceAsStream(resource);
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split(",");
                YamuxHeader h = new YamuxHeader(YamuxFrameType.valueOf(f[2]), Integer.parseInt(f[3]),
                        Long.parseLong(f[4]), Long.parseLong(f[5]));
                out.add(Arguments.of(f[0], f[1], h));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("headerVectors")
    void encodesHeaderToVectorBytes(String name, String hex, YamuxHeader header) {
        ByteBuf out = Unpooled.buffer();
        try {
            YamuxCodec.encode(header, out);
            assertEquals(hex, ByteBufUtil.hexDump(out));
        } finally {
            out.release();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("headerVectors")
    void decodesVectorBytesToHeader(String name, String hex, YamuxHeader header) {
        ByteBuf in = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(hex));
        try {
            assertEquals(header, YamuxCodec.decode(in, YamuxHeader.MAX_UINT32));
            assertEquals(0, in.readableBytes());
        } finally {
            in.release();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jsFrames")
    void decodesFramesAsJsYamuxSendsThem(String name, String hex, YamuxHeader header) {
        ByteBuf in = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(hex));
        try {
            YamuxHeader decoded = YamuxCodec.decode(in, YamuxConfig.DEFAULT.maxInboundFrameSize());
            assertEquals(header, decoded);
            long payload = decoded.type() == YamuxFrameType.DATA ? decoded.length() : 0;
            assertEquals(payload, in.readableBytes(), "payload bytes after the header");
            ByteBuf again = Unpooled.buffer();
            YamuxCodec.encode(decoded, again);
            assertEquals(hex.substring(0, 24), ByteBufUtil.hexDump(again), "re-encoded header");
            again.release();
        } finally {
            in.release();
        }
    }

    @Test
    void roundTripsEveryTypeAndFlagCombination() {
        for (YamuxFrameType type : YamuxFrameType.values()) {
            for (int flags = 0; flags <= 0xF; flags++) {
                YamuxHeader h = new YamuxHeader(type, flags, 0x8000_0001L, 0xFFFF_FFFEL);
                ByteBuf buf = Unpooled.buffer();
                YamuxCodec.encode(h, buf);
                assertEquals(YamuxCodec.HEADER_LENGTH, buf.readableBytes());
                assertEquals(h, YamuxCodec.decode(buf, YamuxHeader.MAX_UINT32));
                buf.release();
            }
        }
    }

    @Test
    void returnsNullWithoutConsumingWhenHeaderIsIncomplete() {
        ByteBuf in = Unpooled.wrappedBuffer(new byte[11]);
        assertNull(YamuxCodec.decode(in, 100));
        assertEquals(11, in.readableBytes());
        in.release();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 0x7f, 0xff})
    void rejectsVersionOtherThanZero(int version) {
        ByteBuf in = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("000000000000000100000000"));
        in.setByte(0, version);
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class,
                () -> YamuxCodec.decode(in, 100));
        assertTrue(e.getMessage().contains("version " + version), e.getMessage());
        in.release();
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 5, 0x80, 0xff})
    void rejectsUnknownType(int type) {
        ByteBuf in = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("000000000000000100000000"));
        in.setByte(1, type);
        assertThrows(ProtocolViolationException.class, () -> YamuxCodec.decode(in, 100));
        in.release();
    }

    @Test
    void rejectsDataFrameLongerThanLimitWithoutConsuming() {
        ByteBuf in = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("000000000000000100000065"));
        LimitExceededException e = assertThrows(LimitExceededException.class, () -> YamuxCodec.decode(in, 100));
        assertTrue(e.getMessage().contains("yamux.maxInboundFrameSize"), e.getMessage());
        assertEquals(12, in.readableBytes());
        in.release();
    }

    @Test
    void acceptsDataFrameExactlyAtLimitAndIgnoresLengthOfOtherTypes() {
        ByteBuf in = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(
                "000000000000000100000064" + "0001000000000001ffffffff"));
        assertEquals(100, YamuxCodec.decode(in, 100).length());
        assertEquals(0xFFFF_FFFFL, YamuxCodec.decode(in, 100).length());
        in.release();
    }

    @Test
    void flagsDescribeNamesBits() {
        assertEquals("SYN|FIN", YamuxFlags.describe(YamuxFlags.SYN | YamuxFlags.FIN));
        assertEquals("0", YamuxFlags.describe(0));
        assertEquals("ACK|RST|0x10", YamuxFlags.describe(0x1A));
        assertArrayEquals(new int[] {1, 2, 4, 8},
                new int[] {YamuxFlags.SYN, YamuxFlags.ACK, YamuxFlags.FIN, YamuxFlags.RST});
    }
}
