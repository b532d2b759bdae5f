package dev.edgelink.relay.circuit;

import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One relayed connection on the relay: the source's hop stream spliced to the target's stop stream. Bytes are
 * passed on as they come, with back-pressure both ways (a side that cannot take more pauses the other's
 * reading, which stops its window credit). A half-close is passed on; the circuit ends when both directions
 * have closed, either stream is reset (also when a peer's connection drops), or its limit is reached (then both
 * are reset). {@code onEnd} runs exactly once, which is where the relay releases the circuit's slot.
 */
final class Circuit {

    private final MuxedStream source;
    private final MuxedStream target;
    private final CircuitLimit limit;
    private final Runnable onEnd;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicInteger closedDirections = new AtomicInteger();
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile ScheduledFuture<?> timer;

    Circuit(MuxedStream source, MuxedStream target, CircuitLimit limit, Runnable onEnd) {
        this.source = source;
        this.target = target;
        this.limit = limit;
        this.onEnd = onEnd;
    }

    /** Starts relaying; {@code fromSource}/{@code fromTarget} are bytes each side sent early (owned here). */
    void start(ByteBuf fromSource, ByteBuf fromTarget) {
        if (limit != null) {
            timer = source.eventLoop().schedule(this::limitReached, limit.duration().toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        pass(fromSource, target);
        pass(fromTarget, source);
        source.eventLoop().execute(() -> {
            source.setListener(new Pipe(source, target));
            source.setAutoRead(true);
        });
        target.eventLoop().execute(() -> {
            target.setListener(new Pipe(target, source));
            target.setAutoRead(true);
        });
    }

    long bytesRelayed() {
        return bytes.get();
    }

    private boolean pass(ByteBuf data, MuxedStream to) {
        int n = data.readableBytes();
        if (n == 0) {
            data.release();
            return true;
        }
        long total = bytes.addAndGet(n);
        if (limit != null && total > limit.dataBytes()) {
            data.release();
            limitReached();
            return false;
        }
        to.write(data);
        return true;
    }

    private void limitReached() {
        source.reset();
        target.reset();
        end();
    }

    private void end() {
        if (ended.compareAndSet(false, true)) {
            ScheduledFuture<?> t = timer;
            if (t != null) {
                t.cancel(false);
            }
            onEnd.run();
        }
    }

    /** Reads {@code from} and writes to {@code to}; also hears {@code from}'s writability for the other pipe. */
    private final class Pipe implements StreamListener {
        private final MuxedStream from;
        private final MuxedStream to;

        Pipe(MuxedStream from, MuxedStream to) {
            this.from = from;
            this.to = to;
        }

        @Override
        public void onData(MuxedStream s, ByteBuf data) {
            if (ended.get()) {
                data.release();
                return;
            }
            if (pass(data, to) && !to.isWritable()) {
                from.setAutoRead(false);
                // 'to' may live on another event loop and drain what we queued before it ever saw itself
                // unwritable, and then no writability event comes: look again on its loop, after our write
                to.eventLoop().execute(() -> {
                    if (to.isWritable()) {
                        from.setAutoRead(true);
                    }
                });
            }
        }

        @Override
        public void onWritabilityChanged(MuxedStream s) {
            if (from.isWritable()) {
                to.setAutoRead(true); // the other pipe reads 'to' and writes into 'from'
            }
        }

        @Override
        public void onRemoteClose(MuxedStream s) {
            to.closeWrite();
            if (closedDirections.incrementAndGet() == 2) {
                end();
            }
        }

        @Override
        public void onReset(MuxedStream s, Libp2pException cause) {
            to.reset();
            end();
        }
    }
}
