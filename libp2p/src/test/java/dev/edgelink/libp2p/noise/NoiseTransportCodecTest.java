package dev.edgelink.libp2p.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.InternalException;
import dev.edgelink.libp2p.ProtocolViolationException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Transport cipher states use the JDK cipher here; {@link NoiseTransportCodecOpenSslTest} repeats every test on
 * OpenSSL.
 */
@ExtendWith(JdkCipherByDefault.class)
class NoiseTransportCodecTest {

    private CipherState[] cs;
    private EmbeddedChannel writer;
    private EmbeddedChannel reader;
    private Recorder received;

    @BeforeEach
    void setUp() {
        cs = NoiseTestSupport.transportStates();
        writer = new EmbeddedChannel(new NoiseTransportCodec(cs[0], cs[1], "writer"));
        received = new Recorder();
        reader = new EmbeddedChannel(new NoiseTransportCodec(cs[2], cs[3], "reader"), received);
    }

    @AfterEach
    void tearDown() {
        writer.finishAndReleaseAll();
        reader.finishAndReleaseAll();
        received.releaseAll();
        NoiseTestSupport.provokeLeakReports();
    }

    @Test
    void oneMebibyteIsSplitIntoMaximalFramesAndArrivesIntact() {
        byte[] data = random(1 << 20);
        writer.writeAndFlush(Unpooled.wrappedBuffer(data));
        List<ByteBuf> frames = drainOutbound(writer);
        assertEquals((data.length + NoiseTransportCodec.MAX_PLAINTEXT_LENGTH - 1)
            / NoiseTransportCodec.MAX_PLAINTEXT_LENGTH, frames.size());
        for (ByteBuf f : frames) {
            int len = f.getUnsignedShort(0);
            assertEquals(f.readableBytes() - 2, len);
            assertTrue(len <= NoiseTransportCodec.MAX_FRAME_LENGTH);
        }
        for (ByteBuf f : frames) {
            reader.writeInbound(f);
        }
        assertArrayEquals(data, received.bytes());
    }

    @ParameterizedTest(name = "slices of {0} bytes")
    @ValueSource(ints = {1, 2, 3, 17, 1000, 65537, 100_003})
    void framesSplitAcrossReadsAtAnySizeAreReassembled(int slice) {
        byte[] data = random(300_001);
        writer.writeAndFlush(Unpooled.wrappedBuffer(data));
        ByteBuf wire = concat(drainOutbound(writer));
        while (wire.isReadable()) {
            reader.writeInbound(wire.readRetainedSlice(Math.min(slice, wire.readableBytes())));
        }
        wire.release();
        assertArrayEquals(data, received.bytes());
    }

    @Test
    void directBuffersOnBothSidesWork() {
        byte[] data = random(70_000);
        ByteBuf direct = Unpooled.directBuffer(data.length).writeBytes(data);
        writer.writeAndFlush(direct);
        for (ByteBuf f : drainOutbound(writer)) {
            ByteBuf d = Unpooled.directBuffer(f.readableBytes()).writeBytes(f);
            f.release();
            reader.writeInbound(d);
        }
        assertArrayEquals(data, received.bytes());
    }

    @Test
    void smallWritesAreCoalescedUntilFlushAndEachPromiseCompletes() {
        byte[] data = random(10_000);
        List<ChannelFuture> futures = new ArrayList<>();
        for (int off = 0; off < data.length; off += 333) {
            int len = Math.min(333, data.length - off);
            futures.add(writer.write(Unpooled.wrappedBuffer(data, off, len)));
        }
        assertNull(writer.readOutbound(), "nothing goes out before flush");
        writer.flush();
        List<ByteBuf> frames = drainOutbound(writer);
        assertEquals(1, frames.size());
        futures.forEach(f -> assertTrue(f.isSuccess()));
        reader.writeInbound(frames.get(0));
        assertArrayEquals(data, received.bytes());
    }

    @Test
    void flippedBitFailsAuthenticationClosesAndStopsReading() {
        writer.writeAndFlush(Unpooled.wrappedBuffer(random(5000)));
        writer.writeAndFlush(Unpooled.wrappedBuffer(random(5000)));
        List<ByteBuf> frames = drainOutbound(writer);
        ByteBuf first = frames.get(0);
        first.setByte(100, first.getByte(100) ^ 0x20);
        // Both frames in one read: the good second frame must not be delivered after the bad first one.
        reader.writeInbound(concat(frames));
        ProtocolViolationException e = assertInstanceOf(ProtocolViolationException.class, received.error);
        assertTrue(e.getMessage().contains("failed authentication"), e.getMessage());
        assertFalse(reader.isOpen());
        assertEquals(0, received.messages.size());
    }

    @Test
    void frameShorterThanTagIsAProtocolViolation() {
        reader.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 5, 1, 2, 3, 4, 5}));
        assertInstanceOf(ProtocolViolationException.class, received.error);
        assertTrue(received.error.getMessage().contains("shorter than the 16-byte authentication tag"));
        assertFalse(reader.isOpen());
    }

    @Test
    void garbageFrameIsAProtocolViolation() {
        byte[] garbage = random(200);
        garbage[0] = 0;
        garbage[1] = (byte) 198;
        reader.writeInbound(Unpooled.wrappedBuffer(garbage));
        assertInstanceOf(ProtocolViolationException.class, received.error);
        assertFalse(reader.isOpen());
    }

    @Test
    void truncatedFrameWaitsAndIsReleasedOnClose() {
        writer.writeAndFlush(Unpooled.wrappedBuffer(random(1000)));
        ByteBuf frame = drainOutbound(writer).get(0);
        reader.writeInbound(frame.readRetainedSlice(500));
        frame.release();
        assertEquals(0, received.messages.size());
        assertNull(received.error);
        reader.close();
    }

    @Test
    void replayedFrameIsRejected() {
        writer.writeAndFlush(Unpooled.wrappedBuffer(random(100)));
        ByteBuf frame = drainOutbound(writer).get(0);
        reader.writeInbound(frame.retainedDuplicate());
        reader.writeInbound(frame);
        assertEquals(1, received.messages.size());
        assertInstanceOf(ProtocolViolationException.class, received.error);
    }

    @Test
    void framesAndPlaintextsAreTheBufferKindTheCipherPrefers() {
        writer.writeAndFlush(Unpooled.wrappedBuffer(random(1000)));
        ByteBuf frame = drainOutbound(writer).get(0);
        assertEquals(cs[0].prefersDirectBuffers(), frame.isDirect());
        reader.writeInbound(frame);
        assertEquals(cs[3].prefersDirectBuffers(), received.messages.get(0).isDirect());
    }

    @Test
    void closingTheChannelClosesBothCipherStates() {
        writer.close();
        reader.close();
        for (CipherState state : cs) {
            assertThrows(InternalException.class, () -> state.encrypt(new byte[1], 0, 1, new byte[17], 0));
        }
    }

    static List<ByteBuf> drainOutbound(EmbeddedChannel ch) {
        List<ByteBuf> out = new ArrayList<>();
        for (ByteBuf b = ch.readOutbound(); b != null; b = ch.readOutbound()) {
            out.add(b);
        }
        return out;
    }

    static ByteBuf concat(List<ByteBuf> bufs) {
        ByteBuf all = Unpooled.buffer();
        for (ByteBuf b : bufs) {
            all.writeBytes(b);
            b.release();
        }
        return all;
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    /** The handler above the codec: keeps what reaches it. */
    static final class Recorder extends ChannelInboundHandlerAdapter {
        final List<ByteBuf> messages = new ArrayList<>();
        final List<Object> events = new ArrayList<>();
        Throwable error;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            messages.add((ByteBuf) msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            events.add(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (error == null) {
                error = cause;
            }
        }

        byte[] bytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (ByteBuf b : messages) {
                byte[] a = new byte[b.readableBytes()];
                b.readBytes(a);
                out.writeBytes(a);
                b.release();
            }
            messages.clear();
            return out.toByteArray();
        }

        void releaseAll() {
            messages.forEach(ByteBuf::release);
            messages.clear();
        }
    }
}
