package dev.edgelink.libp2p.yamux;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * One stream over real TCP on 127.0.0.1 (no encryption), a writer that respects writability on the sending event
 * loop and a reader that only counts; prints Gbit/s (a benchmark, not part of the test suite: run it with
 * {@code mvn -pl libp2p test -Dtest=YamuxLoopbackThroughputBenchmark}). The leak detector is off while it runs: at
 * the paranoid level the build uses, it records a
 * stack trace at every buffer access and would be what the test measures. Leaks are covered by the other tests.
 */
class YamuxLoopbackThroughputBenchmark {
    private static final long TOTAL = 1024L * 1024 * 1024;
    private static final int CHUNK = 64 * 1024;

    @Test
    void oneStreamOnLoopback() throws Exception {
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        try {
            transfer(TOTAL / 4);
            double gbits = transfer(TOTAL);
            System.out.printf("yamux loopback, one stream: %.2f Gbit/s%n", gbits);
        } finally {
            ResourceLeakDetector.setLevel(level);
        }
    }

    /** Sends {@code total} bytes on one fresh stream of a fresh connection; returns Gbit/s. */
    private static double transfer(long total) throws Exception {
        AtomicLong received = new AtomicLong();
        CompletableFuture<Long> done = new CompletableFuture<>();
        LoopbackPair pair = new LoopbackPair(YamuxConfig.DEFAULT, s -> { }, s -> s.setListener(new StreamListener() {
            @Override
            public void onData(MuxedStream stream, ByteBuf data) {
                received.addAndGet(data.readableBytes());
                data.release();
            }

            @Override
            public void onRemoteClose(MuxedStream stream) {
                done.complete(System.nanoTime());
            }
        }));
        try {
            MuxedStream s = pair.client().openStream().get(5, TimeUnit.SECONDS);
            long start = System.nanoTime();
            Writer w = new Writer(total);
            s.setListener(w);
            s.eventLoop().execute(() -> w.pump(s));
            long end = done.get(60, TimeUnit.SECONDS);
            assertEquals(total, received.get());
            return total * 8.0 / (end - start);
        } finally {
            pair.shutdown();
        }
    }

    private static final class Writer implements StreamListener {
        private final long total;
        private long sent;

        Writer(long total) {
            this.total = total;
        }

        void pump(MuxedStream s) {
            while (sent < total && s.isWritable()) {
                ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(CHUNK);
                b.writerIndex(CHUNK);
                s.write(b);
                sent += CHUNK;
            }
            if (sent == total) {
                sent++;
                s.closeWrite();
            }
        }

        @Override
        public void onData(MuxedStream stream, ByteBuf data) {
            data.release();
        }

        @Override
        public void onWritabilityChanged(MuxedStream stream) {
            if (stream.isWritable()) {
                pump(stream);
            }
        }
    }
}
