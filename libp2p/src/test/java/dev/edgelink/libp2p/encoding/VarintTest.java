package dev.edgelink.libp2p.encoding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvFileSource;

class VarintTest {

    private static final HexFormat HEX = HexFormat.of();

    @ParameterizedTest(name = "{0} <-> {1}")
    @CsvFileSource(resources = "varint-valid.csv", numLinesToSkip = 1)
    void encodesAndDecodesSpecVectors(long value, String hex) {
        byte[] bytes = HEX.parseHex(hex);
        assertArrayEquals(bytes, Varint.encode(value));
        assertEquals(bytes.length, Varint.encodedLength(value));
        assertEquals(new Varint.Decoded(value, bytes.length), Varint.decode(bytes, 0));
        assertEquals(value, Varint.decodeExact(bytes));
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        try {
            assertEquals(value, Varint.read(buf));
            assertEquals(0, buf.readableBytes());
        } finally {
            buf.release();
        }
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvFileSource(resources = "varint-invalid.csv", numLinesToSkip = 1)
    void rejectsMalformedVarints(String hex, String reason) {
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class,
                () -> Varint.decode(HEX.parseHex(hex), 0));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void overlongVarintIsALimitViolation() {
        assertThrows(LimitExceededException.class, () -> Varint.decode(HEX.parseHex("80808080808080808001"), 0));
    }

    @Test
    void byteBufReadWaitsForTheRestOfASplitVarint() {
        ByteBuf buf = Unpooled.buffer();
        try {
            buf.writeByte(0xac);
            assertEquals(Varint.INCOMPLETE, Varint.read(buf));
            assertEquals(0, buf.readerIndex());
            buf.writeByte(0x02).writeByte(0x7f);
            assertEquals(300, Varint.read(buf));
            assertEquals(2, buf.readerIndex());
            assertEquals(127, Varint.read(buf));
            assertEquals(Varint.INCOMPLETE, Varint.read(buf));
        } finally {
            buf.release();
        }
    }

    @Test
    void byteBufReadRejectsOverlongBeforeTheEndArrives() {
        ByteBuf buf = Unpooled.buffer();
        try {
            for (int i = 0; i < Varint.MAX_BYTES; i++) {
                buf.writeByte(0xff);
            }
            assertThrows(LimitExceededException.class, () -> Varint.read(buf));
            assertEquals(0, buf.readerIndex());
        } finally {
            buf.release();
        }
    }

    @Test
    void byteBufReadRejectsNonMinimal() {
        ByteBuf buf = Unpooled.wrappedBuffer(new byte[] {(byte) 0x81, 0x00});
        try {
            assertThrows(ProtocolViolationException.class, () -> Varint.read(buf));
        } finally {
            buf.release();
        }
    }

    @Test
    void byteBufWriteMatchesArrayEncoding() {
        ByteBuf buf = Unpooled.buffer();
        try {
            Varint.write(Long.MAX_VALUE, buf);
            assertEquals("ffffffffffffffff7f", ByteBufUtil.hexDump(buf));
        } finally {
            buf.release();
        }
    }

    @Test
    void decodeExactRejectsTrailingBytes() {
        assertThrows(ProtocolViolationException.class, () -> Varint.decodeExact(HEX.parseHex("0100")));
    }

    @Test
    void decodesAtAnOffset() {
        assertEquals(new Varint.Decoded(300, 2), Varint.decode(HEX.parseHex("ffac02"), 1));
    }

    @Test
    void negativeValuesAreAProgrammingError() {
        assertThrows(IllegalArgumentException.class, () -> Varint.encode(-1));
    }
}
