package dev.edgelink.relay.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {

    @Test
    void messagesSplitAcrossChunksAndSeveralInOneChunkAreReassembled() {
        ByteBuf all = Unpooled.buffer();
        all.writeBytes(FrameDecoder.frame(new byte[] {1, 2, 3}));
        all.writeBytes(FrameDecoder.frame(new byte[300]));
        all.writeBytes(FrameDecoder.frame(new byte[0]));
        byte[] wire = new byte[all.readableBytes()];
        all.readBytes(wire);
        try (FrameDecoder d = new FrameDecoder(4096)) {
            List<byte[]> first = d.feed(Unpooled.wrappedBuffer(wire, 0, 2));
            assertTrue(first.isEmpty());
            List<byte[]> rest = d.feed(Unpooled.wrappedBuffer(wire, 2, 3));
            assertEquals(1, rest.size());
            assertArrayEquals(new byte[] {1, 2, 3}, rest.get(0));
            List<byte[]> tail = d.feed(Unpooled.wrappedBuffer(wire, 5, wire.length - 5));
            assertEquals(2, tail.size());
            assertEquals(300, tail.get(0).length);
            assertEquals(0, tail.get(1).length);
            assertEquals(0, d.buffered());
        }
    }

    @Test
    void anOversizeLengthIsRefusedBeforeItsBodyArrives() {
        try (FrameDecoder d = new FrameDecoder(4096)) {
            // 4097 as a varint, and nothing else
            assertThrows(LimitExceededException.class, () -> d.feed(Unpooled.wrappedBuffer(new byte[] {
                (byte) 0x81, 0x20})));
        }
    }

    @Test
    void aHugeOrNonMinimalVarintIsAProtocolViolation() {
        try (FrameDecoder d = new FrameDecoder(4096)) {
            byte[] endless = new byte[12];
            java.util.Arrays.fill(endless, (byte) 0xff);
            assertThrows(ProtocolViolationException.class, () -> d.feed(Unpooled.wrappedBuffer(endless)));
        }
        try (FrameDecoder d = new FrameDecoder(4096)) {
            assertThrows(ProtocolViolationException.class, () -> d.feed(Unpooled.wrappedBuffer(new byte[] {
                (byte) 0x81, 0x00})));
        }
    }
}
