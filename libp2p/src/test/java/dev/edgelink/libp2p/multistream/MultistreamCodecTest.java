package dev.edgelink.libp2p.multistream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvFileSource;
import org.junit.jupiter.api.Test;

class MultistreamCodecTest {

    @ParameterizedTest(name = "{0}")
    @CsvFileSource(resources = "/multistream/messages.csv")
    void encodesAndDecodesTheVector(String text, String hex) {
        byte[] wire = ByteBufUtil.decodeHexDump(hex);
        assertArrayEquals(wire, MultistreamCodec.encode(text));
        ByteBuf in = Unpooled.wrappedBuffer(wire);
        assertEquals(text, MultistreamCodec.decode(in, 1024));
        assertEquals(0, in.readableBytes());
    }

    @ParameterizedTest(name = "{0}")
    @CsvFileSource(resources = "/multistream/messages.csv")
    void waitsForEveryMissingByte(String text, String hex) {
        byte[] wire = ByteBufUtil.decodeHexDump(hex);
        for (int cut = 0; cut < wire.length; cut++) {
            ByteBuf partial = Unpooled.wrappedBuffer(wire, 0, cut);
            assertNull(MultistreamCodec.decode(partial, 1024), "decoded from " + cut + " bytes");
            assertEquals(0, partial.readerIndex(), "reader index moved on a partial message");
        }
    }

    @Test
    void listAnswerMatchesTheVector() {
        byte[] expected = ByteBufUtil.decodeHexDump(
                "200c2f6563686f2f312e302e300a112f697066732f70696e672f312e302e300a0a");
        assertArrayEquals(expected, MultistreamCodec.encodeList(List.of("/echo/1.0.0", "/ipfs/ping/1.0.0")));
        String body = MultistreamCodec.decode(Unpooled.wrappedBuffer(expected), 1024);
        assertEquals(List.of("/echo/1.0.0", "/ipfs/ping/1.0.0"), MultistreamCodec.decodeList(body, 1024));
    }

    @Test
    void refusesAMessageLongerThanTheLimit() {
        ByteBuf in = Unpooled.wrappedBuffer(MultistreamCodec.encode("/" + "x".repeat(2000)));
        LimitExceededException e = assertThrows(LimitExceededException.class,
                () -> MultistreamCodec.decode(in, 1024));
        assertEquals("multistream message length exceeded: 2002 > 1024", e.getMessage());
    }

    @Test
    void refusesAnAnnouncedHugeLengthBeforeItArrives() {
        ByteBuf in = Unpooled.wrappedBuffer(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f});
        assertThrows(LimitExceededException.class, () -> MultistreamCodec.decode(in, 1024));
    }

    @Test
    void refusesAMessageWithoutNewline() {
        ByteBuf in = Unpooled.wrappedBuffer(new byte[] {3, 'n', 'a', 'x'});
        assertThrows(ProtocolViolationException.class, () -> MultistreamCodec.decode(in, 1024));
    }

    @Test
    void refusesAnEmptyMessage() {
        ByteBuf in = Unpooled.wrappedBuffer(new byte[] {0});
        assertThrows(ProtocolViolationException.class, () -> MultistreamCodec.decode(in, 1024));
    }

    @Test
    void escapesGarbageInErrorMessages() {
        assertEquals("GET /\\x0d\\x0a", MultistreamCodec.printable("GET /\r\n"));
    }
}
