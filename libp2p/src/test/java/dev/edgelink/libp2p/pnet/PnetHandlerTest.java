package dev.edgelink.libp2p.pnet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.InternalException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvFileSource;

class PnetHandlerTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final SwarmKey KEY = SwarmKey.of(HEX.parseHex(
            "d5c29f62566cada940adbf8988a145f03d688c8193e055f426ddc6f000bb2a68"));

    /** Every buffer handed to a handler, to check that it released them all. */
    private final List<ByteBuf> given = new ArrayList<>();
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void everyBufferWasReleased() {
        for (EmbeddedChannel channel : channels) {
            channel.finishAndReleaseAll();
        }
        for (ByteBuf buf : given) {
            assertEquals(0, buf.refCnt(), "the handler must release every buffer it is given");
        }
    }

    @ParameterizedTest(name = "{4}")
    @CsvFileSource(resources = "known-answers.csv", numLinesToSkip = 1, maxCharsPerColumn = 8192)
    void outboundBytesMatchKnownAnswers(String key, String nonce, String plaintext, String ciphertext, String source) {
        EmbeddedChannel channel = channel(new PnetHandler(SwarmKey.of(HEX.parseHex(key)), HEX.parseHex(nonce)));
        byte[] data = HEX.parseHex(plaintext);
        int half = data.length / 3;
        channel.writeAndFlush(buf(Arrays.copyOfRange(data, 0, half)));
        channel.writeAndFlush(buf(Arrays.copyOfRange(data, half, data.length)));
        assertEquals(nonce + ciphertext, HEX.formatHex(drainOutbound(channel)));
    }

    @ParameterizedTest(name = "{4}")
    @CsvFileSource(resources = "known-answers.csv", numLinesToSkip = 1, maxCharsPerColumn = 8192)
    void inboundBytesMatchKnownAnswersInAnyPieces(String key, String nonce, String plaintext, String ciphertext,
            String source) {
        byte[] wire = HEX.parseHex(nonce + ciphertext);
        for (int piece : new int[] {1, 5, 23, 24, 25, 64, wire.length}) {
            EmbeddedChannel channel = channel(new PnetHandler(SwarmKey.of(HEX.parseHex(key)), new SecureRandom()));
            for (int off = 0; off < wire.length; off += piece) {
                channel.writeInbound(buf(Arrays.copyOfRange(wire, off, Math.min(wire.length, off + piece))));
            }
            assertEquals(plaintext, HEX.formatHex(drainInbound(channel)), "pieces of " + piece);
        }
    }

    @Test
    void twoPeersWithTheSameKeyTalkBothWays() {
        EmbeddedChannel a = channel(new PnetHandler(KEY));
        EmbeddedChannel b = channel(new PnetHandler(KEY));
        // Both sides write before either has seen the other's nonce: the writes must keep their order.
        a.writeAndFlush(buf(ascii("/multistream/1.0.0\n")));
        a.writeAndFlush(buf(ascii("/noise\n")));
        b.writeAndFlush(buf(ascii("/multistream/1.0.0\n")));
        byte[] aToB = drainOutbound(a);
        byte[] bToA = drainOutbound(b);
        assertEquals(PnetHandler.NONCE_BYTES + 26, aToB.length);
        feedInPieces(b, aToB, 7);
        feedInPieces(a, bToA, 3);
        assertEquals("/multistream/1.0.0\n/noise\n", new String(drainInbound(b), StandardCharsets.US_ASCII));
        assertEquals("/multistream/1.0.0\n", new String(drainInbound(a), StandardCharsets.US_ASCII));
        byte[] large = new byte[100_000];
        new Random(7).nextBytes(large);
        b.writeAndFlush(buf(large));
        feedInPieces(a, drainOutbound(b), 4096);
        assertArrayEquals(large, drainInbound(a));
    }

    @Test
    void aDifferentKeyYieldsGarbage() {
        EmbeddedChannel a = channel(new PnetHandler(KEY));
        EmbeddedChannel b = channel(new PnetHandler(SwarmKey.of(new byte[32])));
        byte[] message = ascii("/multistream/1.0.0\n");
        a.writeAndFlush(buf(message));
        feedInPieces(b, drainOutbound(a), 100);
        byte[] received = drainInbound(b);
        assertEquals(message.length, received.length);
        assertFalse(Arrays.equals(message, received));
    }

    @Test
    void ciphertextDiffersFromPlaintextAndNonceIsSentFirst() {
        byte[] nonce = new byte[PnetHandler.NONCE_BYTES];
        Arrays.fill(nonce, (byte) 9);
        EmbeddedChannel channel = channel(new PnetHandler(KEY, nonce));
        ByteBuf first = channel.readOutbound();
        assertArrayEquals(nonce, ByteBufUtil.getBytes(first));
        first.release();
        byte[] message = ascii("hello");
        channel.writeAndFlush(buf(message));
        assertFalse(Arrays.equals(message, drainOutbound(channel)));
    }

    @Test
    void sendsTheNonceWhenAddedToAnAlreadyActiveChannel() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channels.add(channel);
        byte[] nonce = new byte[PnetHandler.NONCE_BYTES];
        nonce[0] = 1;
        channel.pipeline().addFirst(new PnetHandler(KEY, nonce));
        assertArrayEquals(nonce, drainOutbound(channel));
    }

    @Test
    void callerBuffersAreNotModified() {
        EmbeddedChannel channel = channel(new PnetHandler(KEY));
        byte[] message = ascii("shared constant");
        ByteBuf shared = Unpooled.wrappedBuffer(message.clone());
        given.add(shared);
        channel.writeAndFlush(shared.retainedDuplicate());
        assertArrayEquals(message, ByteBufUtil.getBytes(shared));
        shared.release();
        drainOutbound(channel);
    }

    @Test
    void directBuffersAreHandledLikeHeapBuffers() {
        byte[] nonce = new byte[PnetHandler.NONCE_BYTES];
        EmbeddedChannel heap = channel(new PnetHandler(KEY, nonce));
        EmbeddedChannel direct = channel(new PnetHandler(KEY, nonce));
        byte[] message = new byte[20_000];
        new Random(3).nextBytes(message);
        heap.writeAndFlush(buf(message));
        ByteBuf directBuf = Unpooled.directBuffer(message.length).writeBytes(message);
        given.add(directBuf);
        direct.writeAndFlush(directBuf);
        assertArrayEquals(drainOutbound(heap), drainOutbound(direct));
    }

    @Test
    void writingSomethingOtherThanBytesFailsThatWrite() {
        EmbeddedChannel channel = channel(new PnetHandler(KEY));
        ChannelFuture future = channel.writeAndFlush("not a buffer");
        assertTrue(future.cause() instanceof InternalException, String.valueOf(future.cause()));
        drainOutbound(channel);
        assertNull(channel.readOutbound());
    }

    private EmbeddedChannel channel(PnetHandler handler) {
        EmbeddedChannel channel = new EmbeddedChannel(handler);
        channels.add(channel);
        return channel;
    }

    private ByteBuf buf(byte[] bytes) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        given.add(buf);
        return buf;
    }

    private void feedInPieces(EmbeddedChannel channel, byte[] bytes, int piece) {
        for (int off = 0; off < bytes.length; off += piece) {
            channel.writeInbound(buf(Arrays.copyOfRange(bytes, off, Math.min(bytes.length, off + piece))));
        }
    }

    private static byte[] drainOutbound(EmbeddedChannel channel) {
        return drain(channel, true);
    }

    private static byte[] drainInbound(EmbeddedChannel channel) {
        return drain(channel, false);
    }

    private static byte[] drain(EmbeddedChannel channel, boolean outbound) {
        ByteBuf all = Unpooled.buffer();
        try {
            for (ByteBuf buf = next(channel, outbound); buf != null; buf = next(channel, outbound)) {
                all.writeBytes(buf);
                buf.release();
            }
            return ByteBufUtil.getBytes(all);
        } finally {
            all.release();
        }
    }

    private static ByteBuf next(EmbeddedChannel channel, boolean outbound) {
        return outbound ? channel.readOutbound() : channel.readInbound();
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
