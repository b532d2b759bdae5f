package dev.edgelink.libp2p.multistream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class MultistreamHandlerTest {

    /** Records what reaches the end of the pipeline: data and exceptions. */
    private static final class Tail extends ChannelInboundHandlerAdapter {
        final List<Throwable> errors = new ArrayList<>();

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
        }
    }

    private static MultistreamHandler listener(AtomicReference<String> chosen) {
        MultistreamNegotiation n = MultistreamNegotiation.listener("/noise"::equals, () -> List.of("/noise"), 4);
        return new MultistreamHandler(n, p -> {
            chosen.set(p);
            return new ChannelInboundHandlerAdapter();
        }, 1024);
    }

    private static String readAll(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            sb.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return sb.toString();
    }

    @Test
    void selectsThenHandsBytesThatFollowedToTheNextHandler() {
        AtomicReference<String> chosen = new AtomicReference<>();
        Tail tail = new Tail();
        EmbeddedChannel ch = new EmbeddedChannel(listener(chosen), tail);
        assertTrue(readAll(ch).contains("/multistream/1.0.0"));
        byte[] hello = MultistreamCodec.encodeAll(List.of("/multistream/1.0.0", "/noise"));
        ByteBuf in = Unpooled.buffer().writeBytes(hello).writeBytes("after".getBytes(StandardCharsets.US_ASCII));
        ch.writeInbound(in);
        assertEquals("/noise", chosen.get());
        assertTrue(readAll(ch).contains("/noise\n"));
        ByteBuf forwarded = ch.readInbound();
        assertNotNull(forwarded, "bytes after the selection were lost");
        assertEquals("after", forwarded.toString(StandardCharsets.US_ASCII));
        forwarded.release();
        assertTrue(tail.errors.isEmpty());
        assertFalse(ch.finish());
    }

    @Test
    void garbageInsteadOfMultistreamClosesWithATypedError() {
        Tail tail = new Tail();
        EmbeddedChannel ch = new EmbeddedChannel(listener(new AtomicReference<>()), tail);
        readAll(ch);
        ch.writeInbound(Unpooled.copiedBuffer("\u0010GET / HTTP/1.1\r\nHost: x\r\n\r\n", StandardCharsets.ISO_8859_1));
        assertFalse(ch.isActive(), "connection left open after garbage");
        assertEquals(1, tail.errors.size());
        assertInstanceOf(ProtocolViolationException.class, tail.errors.get(0));
        ch.finishAndReleaseAll();
    }

    @Test
    void anOverlongLineClosesWithALimitError() {
        Tail tail = new Tail();
        EmbeddedChannel ch = new EmbeddedChannel(listener(new AtomicReference<>()), tail);
        readAll(ch);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0x80, (byte) 0x80, 0x04}));
        assertFalse(ch.isActive());
        assertInstanceOf(LimitExceededException.class, tail.errors.get(0));
        ch.finishAndReleaseAll();
    }
}
