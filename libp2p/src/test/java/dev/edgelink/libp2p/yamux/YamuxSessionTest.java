package dev.edgelink.libp2p.yamux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.mux.ByteBudget;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One session on an {@link EmbeddedChannel}; the test plays the remote with raw frames. The session is the
 * server (even ids), the remote the client (odd ids).
 */
class YamuxSessionTest {
    private static final int WINDOW = YamuxConfig.SPEC_INITIAL_WINDOW;

    private final TrackingAllocator alloc = new TrackingAllocator();
    private final List<MuxedStream> accepted = new ArrayList<>();
    private final List<Recorder> recorders = new ArrayList<>();
    private final List<Throwable> fired = new ArrayList<>();
    private final AtomicLong clock = new AtomicLong();
    private final List<YamuxHeader> sent = new ArrayList<>();
    private int flushes;
    private EmbeddedChannel ch;
    private YamuxSession session;
    private boolean pauseAccepted;

    private void start(YamuxConfig config) {
        session = new YamuxSession(YamuxRole.SERVER, config, s -> {
            accepted.add(s);
            Recorder r = new Recorder();
            recorders.add(r);
            s.setListener(r);
            if (pauseAccepted) {
                s.setAutoRead(false);
            }
        }, clock::get);
        ch = new EmbeddedChannel();
        ch.config().setAllocator(alloc);
        ch.freezeTime();
        ch.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                flushes++;
                ctx.flush();
            }
        }, session, new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                fired.add(cause);
            }
        });
    }

    private void start() {
        start(YamuxConfig.DEFAULT);
    }

    @AfterEach
    void releaseEverything() {
        if (ch != null) {
            ch.finishAndReleaseAll();
            alloc.assertAllReleased();
        }
    }

    // ---- hostile input ----

    @Test
    void frameForStreamNeverOpenedClosesSession() {
        start();
        receive(YamuxHeader.data(0, 5, 3), "abc");
        assertViolation(ProtocolViolationException.class, "never opened");
    }

    @Test
    void windowUpdateForOwnStreamIdNeverOpenedClosesSession() {
        start();
        receive(YamuxHeader.windowUpdate(0, 2, 10), null);
        assertViolation(ProtocolViolationException.class, "never opened");
    }

    @Test
    void framesForStreamRecentlyResetAreDroppedQuietly() {
        start();
        receive(YamuxHeader.windowUpdate(YamuxFlags.SYN, 1, 0), null);
        accepted.get(0).reset();
        receive(YamuxHeader.data(0, 1, 3), "abc");
        receive(YamuxHeader.windowUpdate(YamuxFlags.FIN, 1, 100), null);
        receive(YamuxHeader.windowUpdate(YamuxFlags.SYN, 3, 0), null);
        receive(YamuxHeader.windowUpdate(YamuxFlags.RST, 3, 0), null);
        receive(YamuxHeader.data(0, 3, 3), "xyz");
        assertTrue(ch.isOpen());
        assertTrue(fired.isEmpty());
        assertEquals(0, recorders.get(0).bytes);
        assertInstanceOf(TransportException.class, recorders.get(1).reset);
        assertEquals(0, session.activeStreams());
    }

    @Test
    void synReusingLiveStreamIdIsViolation() {
        start();
        receive(YamuxHeader.windowUpdate(YamuxFlags.SYN, 1, 0), null);
        receive(YamuxHeader.data(YamuxFlags.SYN, 1, 0), null);
        assertViolation(ProtocolViolationException.class, "open");
        assertInstanceOf(TransportException.class, recorders.get(0).reset, "streams reset with the session");
    }

    @Test
    void synReusingClosedStreamIdIsViolation() {
        start();
        receive(YamuxHeader.windowUpdate(YamuxFlags.SYN, 3, 0), null);
        receive(YamuxHeader.windowUpdate(YamuxFlags.RST, 3, 0), null);
        receive(YamuxHeader.windowUpdate(YamuxFlags.SYN, 1, 0), null);
        assertViolation(ProtocolViolationException.class, "reuses");
    }

    @Test
    void synWithWrongParityIsViolation() {
        start();
        receive(YamuxHeader.windowUpdate(YamuxFlags.SYN, 2, 0), null);
        assertViolation(ProtocolViolationException.class, "parity");
    }

    @Test
    void dataBeyondGrantedWindowIsViolation() {
        start();
        pauseAccepted = true;
        receive(YamuxHeader.windowUpdate(YamuxFlags.SYN, 1, 0), null);
        receive(YamuxHeader.data(0, 1, WINDOW - 1), new byte[WINDOW - 1]);
        assertTrue(ch.isOpen());
        receive(YamuxHeader.data(0, 1, 2), new byte[2]);
        assertViolation(LimitExceededException.class, "receiveWindow");
    }

    @Test
    void dataFrameLongerThanLimitIsViolation() {
        start(YamuxConfig.builder().maxInboundFrameSize(1024).build());
        receive(YamuxHeader.windowUpdate(YamuxFlags.SYN, 1, 0), null);
        receive(YamuxHeader.data(0, 1, 1025), new byte[1025]);
        assertViolation(LimitExceededException.class, "maxInboundFrameSize");
    }

    @Test
    void badVersionIsViolation() {
        start();
        receiveHex("010000000000000100000000");
        assertViolation(ProtocolViolationException.class, "version 1");
    }

    @Test
    void unknownTypeIsViolation() {
        start();
        receiveHex("000700000000000100000000");
        assertViolation(ProtocolViolationException.class, "type 7");
    }

    @Test
    void dataAfterRemoteFinIsViolation() {
        start();
        receive(YamuxHeader.windowUpdate(YamuxFlags.SYN | YamuxFlags.FIN, 1, 0), null);
        receive(YamuxHeader.data(0, 1, 1), "x");
        assertViolation(ProtocolViolationException.class, "after FIN");
    }

    @Test
    void pingOnStreamOtherThanZeroIsViolation() {
        start();
        receive(new YamuxHeader(YamuxFrameType.PING, YamuxFlags.SYN, 1, 0), null);
        assertViolation(ProtocolViolationException.class, "PING");
    }

    @Test
    void inboundStreamsBeyondLimitAreRefusedWithRst() {
        start(YamuxConfig.builder().maxInboundStreams(2).build());
        for (long id = 1; id <= 5; id += 2) {
            receive(YamuxHeader.windowUpdate(YamuxFlags.SYN, id, 0), null);
        }
        receive(YamuxHeader.data(0, 5, 2), "hi");
        assertTrue(ch.isOpen());
        assertEquals(2, accepted.size());
        assertTrue(drainSent().contains(YamuxHeader.windowUpdate(YamuxFlags.RST, 5, 0)));
    }

    @Test
    void pausedReadersBeyondConnectionBufferLimitAreReset() {
        start(YamuxConfig.builder().maxBufferedInboundBytes(300_000).build());
        pauseAccepted = true;
        receive(YamuxHeader.windowUpdate(YamuxFlags.SYN, 1, 0), null);
        receive(YamuxHeader.windowUpdate(YamuxFlags.SYN, 3, 0), null);
        receive(YamuxHeader.data(0, 1, 200_000), new byte[200_000]);
        assertEquals(200_000, session.bufferedInboundBytes());
        receive(YamuxHeader.data(0, 3, 200_000), new byte[200_000]);
        assertTrue(ch.isOpen());
        assertInstanceOf(LimitExceededException.class, recorders.get(1).reset);
        assertNull(recorders.get(0).reset);
        assertEquals(200_000, session.bufferedInboundBytes());
        assertTrue(drainSent().contains(YamuxHeader.windowUpdate(YamuxFlags.RST, 3, 0)));
        accepted.get(0).setAutoRead(true);
        assertEquals(200_000, recorders.get(0).bytes);
        assertEquals(0, session.bufferedInboundBytes());
    }

    @Test
    void writerIgnoringWritabilityIsResetAtHardQueueLimit() throws Exception {
        start(YamuxConfig.builder().streamWaterMarks(1000, 2000).maxStreamQueuedBytes(10_000).build());
        MuxedStream s = openStream();
        Recorder r = listen(s);
        for (int i = 0; i < 400 && r.reset == null; i++) {
            s.write(Unpooled.wrappedBuffer(new byte[1000]));
        }
        assertInstanceOf(LimitExceededException.class, r.reset);
        assertTrue(r.reset.getMessage().contains("maxStreamQueuedBytes"), r.reset.getMessage());
        assertTrue(ch.isOpen());
    }

    @Test
    void remoteThatStopsReadingMakesStreamsUnwritableThenClosesAfterStallTimeout() throws Exception {
        Duration stall = Duration.ofSeconds(30);
        start(YamuxConfig.builder().writeStallTimeout(stall).build());
        MuxedStream s = openStream();
        Recorder r = listen(s);
        assertTrue(s.isWritable());
        blockChannel(true);
        assertFalse(s.isWritable(), "a blocked connection makes streams unwritable");
        assertEquals(1, r.writabilityChanges);
        s.write(Unpooled.wrappedBuffer(new byte[5000]));
        ch.runPendingTasks();
        assertTrue(drainSent().stream().noneMatch(h -> h.type() == YamuxFrameType.DATA), "no draining while blocked");
        ch.advanceTimeBy(stall.toNanos() - 1, TimeUnit.NANOSECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen(), "open at t-1");
        ch.advanceTimeBy(1, TimeUnit.NANOSECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen(), "closed at t");
        assertInstanceOf(TransportException.class, fired.get(0));
        assertInstanceOf(TransportException.class, r.reset);
    }

    @Test
    void pingFloodFromRemoteThatDoesNotReadClosesSession() {
        start(YamuxConfig.builder().maxControlBacklog(1200).build());
        blockChannel(true);
        for (int i = 0; i < 200 && ch.isOpen(); i++) {
            receive(YamuxHeader.ping(YamuxFlags.SYN, i), null);
        }
        assertViolation(LimitExceededException.class, "maxControlBacklog");
    }

    @Test
    void remoteGoAwayWithErrorCodeClosesSession() {
        start();
        receive(new YamuxHeader(YamuxFrameType.GO_AWAY, 0, 0, 1), null);
        assertFalse(ch.isOpen());
        assertInstanceOf(TransportException.class, fired.get(0));
    }

    // ---- protocol behaviour ----

    @Test
    void acceptsInboundStreamAndAcknowledgesIt() {
        start();
        receive(YamuxHeader.data(YamuxFlags.SYN, 1, 5), "hello");
        assertEquals(1, accepted.size());
        assertEquals(5, recorders.get(0).bytes);
        assertEquals(List.of(YamuxHeader.windowUpdate(YamuxFlags.ACK, 1, 0)), drainSent());
    }

    @Test
    void headerAndPayloadSplitIntoSingleBytesStillDecode() {
        start();
        ByteBuf frames = Unpooled.buffer();
        YamuxCodec.encode(YamuxHeader.windowUpdate(YamuxFlags.SYN, 1, 0), frames);
        YamuxCodec.encode(YamuxHeader.data(YamuxFlags.FIN, 1, 3), frames);
        frames.writeBytes(new byte[] {1, 2, 3});
        while (frames.isReadable()) {
            ch.writeInbound(frames.readRetainedSlice(1));
        }
        frames.release();
        assertEquals(3, recorders.get(0).bytes);
        assertTrue(recorders.get(0).remoteClosed);
    }

    @Test
    void answersPingWithSameOpaqueValue() {
        start();
        receive(YamuxHeader.ping(YamuxFlags.SYN, 0xDEADBEEFL), null);
        assertEquals(List.of(YamuxHeader.ping(YamuxFlags.ACK, 0xDEADBEEFL)), drainSent());
    }

    @Test
    void pingMeasuresRoundTripWithInjectedClock() throws Exception {
        start();
        clock.set(1_000);
        CompletableFuture<Duration> rtt = session.ping();
        YamuxHeader ping = drainSent().get(0);
        assertEquals(YamuxFlags.SYN, ping.flags());
        clock.set(1_000 + 2_500_000);
        receive(YamuxHeader.ping(YamuxFlags.ACK, ping.length()), null);
        assertEquals(Duration.ofNanos(2_500_000), rtt.get());
    }

    @Test
    void pingFailsExactlyAtTimeout() {
        Duration timeout = Duration.ofSeconds(10);
        start(YamuxConfig.builder().pingTimeout(timeout).build());
        CompletableFuture<Duration> rtt = session.ping();
        ch.advanceTimeBy(timeout.toNanos() - 1, TimeUnit.NANOSECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(rtt.isDone());
        ch.advanceTimeBy(1, TimeUnit.NANOSECONDS);
        ch.runScheduledPendingTasks();
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, rtt::get);
        assertInstanceOf(TransportException.class, e.getCause());
        assertTrue(ch.isOpen(), "a late pong is not a reason to drop the connection");
    }

    @Test
    void sendsNoMoreThanRemoteWindowAndResumesOnWindowUpdate() throws Exception {
        start();
        MuxedStream s = openStream();
        listen(s);
        s.write(Unpooled.wrappedBuffer(new byte[WINDOW + 50_000]));
        ch.runPendingTasks();
        List<YamuxHeader> frames = drainSent();
        long data = frames.stream().filter(h -> h.type() == YamuxFrameType.DATA).mapToLong(YamuxHeader::length).sum();
        assertEquals(WINDOW, data);
        assertTrue(frames.stream().allMatch(h -> h.length() <= YamuxConfig.DEFAULT.maxOutboundFrameSize()));
        receive(YamuxHeader.windowUpdate(YamuxFlags.ACK, s.id(), 20_000), null);
        assertEquals(20_000, drainSent().stream().mapToLong(YamuxHeader::length).sum());
    }

    @Test
    void returnsCreditAfterHalfTheWindowAndGrowsIt() {
        start();
        receive(YamuxHeader.windowUpdate(YamuxFlags.SYN, 1, 0), null);
        drainSent();
        receive(YamuxHeader.data(0, 1, WINDOW / 2 - 1), new byte[WINDOW / 2 - 1]);
        assertTrue(drainSent().isEmpty(), "no update before half the window was consumed");
        receive(YamuxHeader.data(0, 1, 1), new byte[1]);
        assertEquals(List.of(YamuxHeader.windowUpdate(0, 1, WINDOW / 2 + WINDOW)), drainSent(),
                "credit for what was consumed plus the growth to twice the window");
        receive(YamuxHeader.data(0, 1, WINDOW * 3 / 2), new byte[WINDOW * 3 / 2]);
        assertTrue(ch.isOpen(), "the grown window is honoured");
    }

    @Test
    void listenerHearsEveryByteSentAsItLeavesTheQueue() throws Exception {
        start();
        MuxedStream s = openStream();
        Recorder r = listen(s);
        s.write(Unpooled.wrappedBuffer(new byte[WINDOW + 50_000]));
        ch.runPendingTasks();
        drainSent();
        assertEquals(WINDOW, r.sent, "what the window admitted was framed, no more");
        receive(YamuxHeader.windowUpdate(YamuxFlags.ACK, s.id(), 50_000), null);
        drainSent();
        assertEquals(WINDOW + 50_000, r.sent);
    }

    @Test
    void chargedWindowGrowsOnlyWhileTheBudgetTakesTheGrowthAndGivesItBackAtTheEnd() {
        start();
        ByteBudget budget = new ByteBudget("test", WINDOW + WINDOW / 2);
        receive(YamuxHeader.windowUpdate(YamuxFlags.SYN, 1, 0), null);
        accepted.get(0).chargeReceiveWindow(budget);
        ch.runPendingTasks();
        drainSent();
        receive(YamuxHeader.data(0, 1, WINDOW / 2), new byte[WINDOW / 2]);
        assertEquals(List.of(YamuxHeader.windowUpdate(0, 1, WINDOW / 2 + WINDOW)), drainSent(),
                "the first growth (to 2 x 256 KiB) fits the budget");
        assertEquals(WINDOW, budget.used());
        receive(YamuxHeader.data(0, 1, WINDOW), new byte[WINDOW]);
        assertEquals(List.of(YamuxHeader.windowUpdate(0, 1, WINDOW)), drainSent(),
                "the next growth (another 512 KiB) does not fit: credit only, the window stays at 512 KiB");
        assertEquals(WINDOW, budget.used());
        assertEquals(1, budget.refusals());
        receive(YamuxHeader.windowUpdate(YamuxFlags.RST, 1, 0), null);
        assertEquals(0, budget.used(), "a stream that ends gives its growth back");
    }

    @Test
    void chargedStreamCostsNothingUntilItKeepsBytesAndGivesThemBackBeforeTheListenerSeesThem() {
        start();
        pauseAccepted = true;
        ByteBudget budget = new ByteBudget("test", 4 * WINDOW, 2 * WINDOW);
        receive(YamuxHeader.windowUpdate(YamuxFlags.SYN, 1, 0), null);
        accepted.get(0).chargeReceiveWindow(budget);
        ch.runPendingTasks();
        assertEquals(0, budget.used(), "an open stream that received nothing holds nothing");
        receive(YamuxHeader.data(0, 1, 100_000), new byte[100_000]);
        assertEquals(100_000, budget.used(), "bytes kept while paused are charged as they arrive");
        long[] seenUsed = new long[1];
        recorders.get(0).onDataHook = () -> seenUsed[0] = budget.used();
        accepted.get(0).setAutoRead(true);
        assertEquals(100_000, recorders.get(0).bytes);
        assertEquals(0, seenUsed[0], "given back before the listener took them over");
        assertEquals(0, budget.used());
    }

    @Test
    void keptBytesMayUseTheHeadroomButAStreamWhoseBytesDoNotFitUnderTheLimitIsReset() {
        start();
        pauseAccepted = true;
        ByteBudget budget = new ByteBudget("relay.bufferBytes", 300_000, 200_000);
        receive(YamuxHeader.windowUpdate(YamuxFlags.SYN, 1, 0), null);
        receive(YamuxHeader.windowUpdate(YamuxFlags.SYN, 3, 0), null);
        accepted.get(0).chargeReceiveWindow(budget);
        accepted.get(1).chargeReceiveWindow(budget);
        ch.runPendingTasks();
        drainSent();
        receive(YamuxHeader.data(0, 1, 200_000), new byte[200_000]);
        assertEquals(200_000, budget.used(), "past the soft limit (100 kB), within the limit: kept");
        assertNull(recorders.get(0).reset);
        receive(YamuxHeader.data(0, 3, 100_000), new byte[100_000]);
        assertEquals(300_000, budget.used(), "exactly the limit fits");
        receive(YamuxHeader.data(0, 3, 1), new byte[1]);
        LimitExceededException e = assertInstanceOf(LimitExceededException.class, recorders.get(1).reset);
        assertTrue(e.getMessage().contains("relay.bufferBytes"), e.getMessage());
        assertTrue(drainSent().contains(YamuxHeader.windowUpdate(YamuxFlags.RST, 3, 0)));
        assertEquals(200_000, budget.used(), "the reset stream's bytes were dropped and given back");
        assertEquals(1, budget.receivedRefusals());
        assertNull(recorders.get(0).reset, "the other stream keeps its bytes");
        assertTrue(ch.isOpen());
    }

    @Test
    void chargedWindowDoesNotGrowPastTheSoftLimit() {
        start();
        ByteBudget budget = new ByteBudget("test", 4 * WINDOW, 3 * WINDOW + 1);
        receive(YamuxHeader.windowUpdate(YamuxFlags.SYN, 1, 0), null);
        accepted.get(0).chargeReceiveWindow(budget);
        ch.runPendingTasks();
        drainSent();
        receive(YamuxHeader.data(0, 1, WINDOW / 2), new byte[WINDOW / 2]);
        assertEquals(List.of(YamuxHeader.windowUpdate(0, 1, WINDOW / 2)), drainSent(),
                "growth by 256 KiB would pass the soft limit (256 KiB - 1): credit only");
        assertEquals(0, budget.used());
    }

    @Test
    void pausedStreamReturnsNoCreditUntilResumed() {
        start();
        pauseAccepted = true;
        receive(YamuxHeader.windowUpdate(YamuxFlags.SYN, 1, 0), null);
        drainSent();
        receive(YamuxHeader.data(YamuxFlags.FIN, 1, WINDOW), new byte[WINDOW]);
        assertTrue(drainSent().isEmpty());
        assertFalse(recorders.get(0).remoteClosed, "FIN waits behind the buffered data");
        accepted.get(0).setAutoRead(true);
        assertEquals(WINDOW, recorders.get(0).bytes);
        assertTrue(recorders.get(0).remoteClosed);
    }

    @Test
    void writesInOneEventLoopTurnAreFlushedOnce() throws Exception {
        start();
        MuxedStream a = openStream();
        MuxedStream b = openStream();
        ch.runPendingTasks();
        drainSent();
        int before = flushes;
        ch.eventLoop().execute(() -> {
            for (int i = 0; i < 50; i++) {
                a.write(Unpooled.wrappedBuffer(new byte[100]));
                b.write(Unpooled.wrappedBuffer(new byte[100]));
            }
        });
        ch.runPendingTasks();
        assertEquals(1, flushes - before);
        assertEquals(2, drainSent().size(), "one frame per stream, bytes coalesced in the queue");
    }

    @Test
    void busyStreamDoesNotStarveOthers() throws Exception {
        start();
        MuxedStream busy = openStream();
        MuxedStream quiet = openStream();
        ch.runPendingTasks();
        drainSent();
        receive(YamuxHeader.windowUpdate(YamuxFlags.ACK, busy.id(), 10_000_000), null);
        busy.write(Unpooled.wrappedBuffer(new byte[2_000_000]));
        quiet.write(Unpooled.wrappedBuffer(new byte[10]));
        ch.runPendingTasks();
        List<YamuxHeader> frames = drainSent();
        int quietAt = -1;
        for (int i = 0; i < frames.size(); i++) {
            if (frames.get(i).streamId() == quiet.id()) {
                quietAt = i;
            }
        }
        assertTrue(quietAt >= 0 && quietAt <= 1, "quiet stream sent within the first round: " + quietAt);
    }

    @Test
    void outboundStreamLimitAndAckBacklogFailOpen() throws Exception {
        start(YamuxConfig.builder().maxOutboundStreams(3).maxAckBacklog(2).build());
        openStream();
        openStream();
        assertOpenFails(LimitExceededException.class, "maxAckBacklog");
        receive(YamuxHeader.windowUpdate(YamuxFlags.ACK, 2, 0), null);
        openStream();
        receive(YamuxHeader.windowUpdate(YamuxFlags.ACK, 4, 0), null);
        receive(YamuxHeader.windowUpdate(YamuxFlags.ACK, 6, 0), null);
        assertOpenFails(LimitExceededException.class, "maxOutboundStreams");
    }

    @Test
    void remoteGoAwayRefusesNewOutboundStreams() throws Exception {
        start();
        MuxedStream s = openStream();
        receive(YamuxHeader.goAway(GoAwayCode.NORMAL), null);
        assertOpenFails(TransportException.class, "going away");
        assertTrue(ch.isOpen());
        assertFalse(s.isClosed());
    }

    @Test
    void localGoAwayRefusesInboundStreamsAndClosesWhenIdle() throws Exception {
        start();
        MuxedStream s = openStream();
        session.goAway();
        receive(YamuxHeader.windowUpdate(YamuxFlags.SYN, 1, 0), null);
        List<YamuxHeader> out = drainSent();
        assertTrue(out.contains(YamuxHeader.goAway(GoAwayCode.NORMAL)));
        assertTrue(out.contains(YamuxHeader.windowUpdate(YamuxFlags.RST, 1, 0)));
        assertTrue(ch.isOpen());
        s.reset();
        ch.runPendingTasks();
        assertFalse(ch.isOpen(), "closed once the last stream is gone");
        assertTrue(session.closeFuture().isDone());
    }

    // ---- helpers ----

    private void assertViolation(Class<? extends Libp2pException> type, String messagePart) {
        ch.runPendingTasks();
        assertFalse(ch.isOpen(), "connection closed");
        assertEquals(1, fired.size(), "one exception fired down the pipeline: " + fired);
        assertInstanceOf(type, fired.get(0));
        assertTrue(fired.get(0).getMessage().contains(messagePart), fired.get(0).getMessage());
        List<YamuxHeader> out = drainSent();
        if (fired.get(0) instanceof ProtocolViolationException) {
            assertTrue(out.contains(YamuxHeader.goAway(GoAwayCode.PROTOCOL_ERROR)), "GO_AWAY protocol error: " + out);
        }
        assertTrue(session.closeFuture().isDone());
    }

    private void assertOpenFails(Class<? extends Libp2pException> type, String messagePart)
            throws InterruptedException {
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> session.openStream().get());
        assertInstanceOf(type, e.getCause());
        assertTrue(e.getCause().getMessage().contains(messagePart), e.getCause().getMessage());
    }

    private MuxedStream openStream() throws Exception {
        CompletableFuture<MuxedStream> f = session.openStream();
        assertTrue(f.isDone());
        return f.get();
    }

    private Recorder listen(MuxedStream s) {
        Recorder r = new Recorder();
        s.setListener(r);
        return r;
    }

    private void blockChannel(boolean blocked) {
        ch.unsafe().outboundBuffer().setUserDefinedWritability(1, !blocked);
        ch.runPendingTasks();
    }

    private void receive(YamuxHeader header, Object payload) {
        byte[] body = payload == null ? new byte[0]
                : payload instanceof String ? ((String) payload).getBytes(java.nio.charset.StandardCharsets.UTF_8)
                : (byte[]) payload;
        ByteBuf buf = alloc.buffer(YamuxCodec.HEADER_LENGTH + body.length);
        YamuxCodec.encode(header, buf);
        buf.writeBytes(body);
        ch.writeInbound(buf);
    }

    private void receiveHex(String hex) {
        ch.writeInbound(Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(hex)));
    }

    /** Everything the session wrote since the last call, decoded into headers (payloads skipped). */
    private List<YamuxHeader> drainSent() {
        ch.runPendingTasks();
        ByteBuf all = Unpooled.buffer();
        Object msg;
        while ((msg = ch.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) msg;
            all.writeBytes(b);
            b.release();
        }
        List<YamuxHeader> out = new ArrayList<>();
        YamuxHeader h;
        while ((h = YamuxCodec.decode(all, YamuxHeader.MAX_UINT32)) != null) {
            out.add(h);
            if (h.type() == YamuxFrameType.DATA) {
                all.skipBytes((int) h.length());
            }
        }
        all.release();
        sent.addAll(out);
        return out;
    }

    private static final class Recorder implements StreamListener {
        long bytes;
        boolean remoteClosed;
        Libp2pException reset;
        int writabilityChanges;
        long sent;
        Runnable onDataHook = () -> { };

        @Override
        public void onSent(MuxedStream stream, int bytes) {
            sent += bytes;
        }

        @Override
        public void onData(MuxedStream stream, ByteBuf data) {
            onDataHook.run();
            bytes += data.readableBytes();
            data.release();
        }

        @Override
        public void onRemoteClose(MuxedStream stream) {
            remoteClosed = true;
        }

        @Override
        public void onReset(MuxedStream stream, Libp2pException cause) {
            assertNotNull(cause);
            reset = cause;
        }

        @Override
        public void onWritabilityChanged(MuxedStream stream) {
            writabilityChanges++;
        }
    }
}
