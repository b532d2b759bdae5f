package dev.edgelink.relay.circuit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.mux.ByteBudget;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import dev.edgelink.libp2p.mux.StreamMuxer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A circuit's bytes against the relay's memory budget, with streams we drive by hand. */
class CircuitMemoryTest {
    /** The relay's limit: circuits pause while more than half of it (100 kB) is queued. */
    private static final int LIMIT = 200_000;

    private final EmbeddedChannel loop = new EmbeddedChannel();
    private final CircuitMemory memory = new CircuitMemory(LIMIT);
    private final FakeStream source = new FakeStream(loop.eventLoop());
    private final FakeStream target = new FakeStream(loop.eventLoop());
    private final AtomicInteger ended = new AtomicInteger();

    @AfterEach
    void close() {
        source.discard();
        target.discard();
        loop.finishAndReleaseAll();
    }

    private void start() {
        new Circuit(source, target, null, memory, ended::incrementAndGet)
                .start(Unpooled.EMPTY_BUFFER, Unpooled.EMPTY_BUFFER);
        loop.runPendingTasks();
    }

    @Test
    void bothStreamsChargeTheirWindowGrowthToTheRelaysBudget() {
        start();
        assertSame(memory.budget(), source.windowBudget);
        assertSame(memory.budget(), target.windowBudget);
    }

    @Test
    void aSideThatPushesTheRelayOverItsPausePointPausesUntilTheOtherSideSentItOn() {
        start();
        source.receive(60_000);
        assertTrue(source.autoRead, "60 kB queued: under the pause point");
        assertEquals(60_000, memory.budget().used());
        source.receive(60_000);
        assertFalse(source.autoRead, "120 kB queued: over the pause point, the source is not read any more");
        target.sendQueued(10_000);
        loop.runPendingTasks();
        assertFalse(source.autoRead, "110 kB held: still over");
        target.sendQueued(Integer.MAX_VALUE);
        loop.runPendingTasks();
        assertTrue(source.autoRead, "everything sent on: reading resumes");
        assertEquals(0, memory.budget().used());
        assertEquals(120_000, target.sent);
    }

    @Test
    void bytesKeptByPausedStreamsCountAgainstTheLimitButDoNotKeepCircuitsPaused() {
        start();
        assertTrue(memory.budget().tryAcquireReceived(80_000), "what paused streams keep, charged by the muxer");
        source.receive(110_000);
        assertFalse(source.autoRead);
        assertTrue(memory.full(), "110 kB queued: paused, and no new circuit");
        target.sendQueued(Integer.MAX_VALUE);
        loop.runPendingTasks();
        assertTrue(source.autoRead, "nothing queued: reading resumes, though 80 kB are still kept elsewhere");
        assertFalse(memory.full(), "circuits are admitted again");
        memory.budget().release(80_000);
    }

    @Test
    void bytesThatWouldTakeTheRelayPastItsLimitEndTheCircuitAndAreNotTaken() {
        start();
        source.receive(150_000);
        assertEquals(0, ended.get(), "150 kB: past the pause point, within the limit");
        target.receive(50_001);
        assertEquals(1, ended.get(), "200 001 bytes would not fit under the limit: the circuit ends");
        assertTrue(source.wasReset && target.wasReset);
        assertEquals(1, memory.circuitsReset());
        assertEquals(0, memory.budget().used(), "what it held was given back");
        assertTrue(memory.budget().peak() <= LIMIT, "never more than the limit: " + memory.budget().peak());
    }

    @Test
    void whatACircuitStillHoldsWhenItEndsIsGivenBack() {
        start();
        source.receive(30_000);
        target.receive(20_000);
        assertEquals(50_000, memory.budget().used());
        source.listener.onReset(source, null);
        assertEquals(1, ended.get());
        assertEquals(0, memory.budget().used(), "the queued bytes died with the circuit");
        target.sendQueued(Integer.MAX_VALUE);
        assertEquals(0, memory.budget().used(), "a late report from the stream gives nothing back twice");
    }

    /** A stream whose queue we drain by hand: {@link #sendQueued} reports what left it, as a muxer does. */
    private static final class FakeStream implements MuxedStream {
        private final EventLoop loop;
        private final Deque<ByteBuf> queue = new ArrayDeque<>();
        StreamListener listener;
        boolean autoRead = true;
        ByteBudget windowBudget;
        long sent;
        boolean wasReset;

        FakeStream(EventLoop loop) {
            this.loop = loop;
        }

        void receive(int n) {
            listener.onData(this, Unpooled.wrappedBuffer(new byte[n]));
        }

        void sendQueued(int max) {
            int left = max;
            while (!queue.isEmpty() && left > 0) {
                ByteBuf b = queue.peek();
                int n = Math.min(left, b.readableBytes());
                b.skipBytes(n);
                if (!b.isReadable()) {
                    queue.poll().release();
                }
                left -= n;
                sent += n;
                listener.onSent(this, n);
            }
        }

        void discard() {
            queue.forEach(ByteBuf::release);
            queue.clear();
        }

        @Override
        public long id() {
            return 1;
        }

        @Override
        public boolean isOutbound() {
            return false;
        }

        @Override
        public StreamMuxer muxer() {
            return null;
        }

        @Override
        public EventLoop eventLoop() {
            return loop;
        }

        @Override
        public void setListener(StreamListener l) {
            listener = l;
        }

        @Override
        public void write(ByteBuf data) {
            queue.add(data);
        }

        @Override
        public boolean isWritable() {
            return true;
        }

        @Override
        public void chargeReceiveWindow(ByteBudget budget) {
            windowBudget = budget;
        }

        @Override
        public void setAutoRead(boolean on) {
            autoRead = on;
        }

        @Override
        public void closeWrite() {
        }

        @Override
        public void reset() {
            wasReset = true;
            discard();
        }

        @Override
        public boolean isClosed() {
            return false;
        }
    }
}
