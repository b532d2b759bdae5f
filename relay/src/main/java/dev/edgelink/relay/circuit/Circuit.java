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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One relayed connection on the relay: the source's hop stream spliced to the target's stop stream. Bytes are
 * passed on as they come, with back-pressure both ways (a side that cannot take more pauses the other's
 * reading, which stops its window credit). A half-close is passed on; the circuit ends when both directions
 * have closed, either stream is reset (also when a peer's connection drops), or its limit is reached (then both
 * are reset). {@code onEnd} runs exactly once, which is where the relay releases the circuit's slot.
 *
 * <p>Memory: every byte passed on is held in the relay's {@link CircuitMemory} until the other stream reports it
 * sent; when the relay as a whole is above its pause point, the side that read pauses until there is room, and
 * a byte that takes the relay past its limit ends the circuit (both streams reset). Both streams charge what they
 * keep while paused, and their window growth, there too. What a circuit still holds when it ends is given back.
 */
final class Circuit {
    private static final Logger LOG = LoggerFactory.getLogger(Circuit.class);

    private final MuxedStream source;
    private final MuxedStream target;
    private final CircuitLimit limit;
    private final Runnable onEnd;
    private final CircuitMemory memory;
    /** Bytes written to the target (resp. the source) and not yet reported sent by it. */
    private final AtomicLong toTarget = new AtomicLong();
    private final AtomicLong toSource = new AtomicLong();
    /** Whether the last {@link #pass} left the relay over its budget (its reader then pauses the sender). */
    private volatile boolean overBudget;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicInteger closedDirections = new AtomicInteger();
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile ScheduledFuture<?> timer;

    Circuit(MuxedStream source, MuxedStream target, CircuitLimit limit, CircuitMemory memory, Runnable onEnd) {
        this.source = source;
        this.target = target;
        this.limit = limit;
        this.memory = memory;
        this.onEnd = onEnd;
    }

    /** Starts relaying; {@code fromSource}/{@code fromTarget} are bytes each side sent early (owned here). */
    void start(ByteBuf fromSource, ByteBuf fromTarget) {
        if (limit != null) {
            timer = source.eventLoop().schedule(this::limitReached, limit.duration().toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        source.chargeReceiveWindow(memory.budget());
        target.chargeReceiveWindow(memory.budget());
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

    private AtomicLong inFlight(MuxedStream to) {
        return to == target ? toTarget : toSource;
    }

    /**
     * Passes {@code data} on; false if the circuit ended instead (its data limit, or the relay's memory limit).
     * Sets {@link #overBudget} as it finds it.
     */
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
        if (!memory.hold(n)) {
            data.release();
            LOG.info("circuit reset: the relay holds more than relay.bufferBytes={} for its circuits",
                    memory.budget().limit());
            limitReached();
            return false;
        }
        inFlight(to).addAndGet(n);
        if (ended.get()) {
            // the other side ended the circuit meanwhile, and end() may have given back what it found before ours
            memory.release(inFlight(to).getAndSet(0));
            data.release();
            return false;
        }
        overBudget = memory.full();
        to.write(data);
        return true;
    }

    /** {@code s} framed {@code n} of the bytes we wrote to it: they leave the relay's account. */
    private void sent(MuxedStream s, int n) {
        long taken = inFlight(s).getAndUpdate(held -> Math.max(0, held - n));
        memory.release(Math.min(taken, n));
    }

    private void limitReached() {
        source.reset();
        target.reset();
        end();
    }

    private void end() {
        if (ended.compareAndSet(false, true)) {
            memory.release(toTarget.getAndSet(0) + toSource.getAndSet(0));
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
            if (!pass(data, to)) {
                return;
            }
            if (!to.isWritable()) {
                from.setAutoRead(false);
                // 'to' may live on another event loop and drain what we queued before it ever saw itself
                // unwritable, and then no writability event comes: look again on its loop, after our write
                to.eventLoop().execute(() -> {
                    if (to.isWritable()) {
                        from.setAutoRead(true);
                    }
                });
            } else if (overBudget) {
                from.setAutoRead(false);
                memory.whenRoom(this::resume);
            }
        }

        /**
         * Reads again unless the circuits resumed before this one filled the relay up again (then waits for room
         * once more): paused circuits come back one after the other on an event loop, each passing on what it kept,
         * rather than all at once into the headroom.
         */
        private void resume() {
            from.eventLoop().execute(() -> {
                if (ended.get()) {
                    return;
                }
                if (memory.full()) {
                    memory.whenRoom(this::resume);
                } else if (to.isWritable()) {
                    from.setAutoRead(true);
                }
            });
        }

        @Override
        public void onSent(MuxedStream s, int n) {
            sent(from, n);
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
