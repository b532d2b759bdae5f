package dev.edgelink.dataplane.tunnel;

import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.mux.ByteBudget;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import io.netty.buffer.ByteBuf;
import io.netty.util.internal.PlatformDependent;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One peer's tunnel stream: the per-stream handler of {@code /edgelink/tunnel/1.0.0}.
 *
 * <p>Outbound: the TUN reader {@link #offer}s framed packets into a bounded queue and never waits; a packet that
 * does not fit (this peer's bytes, all peers' bytes, or the queue's slots) is dropped at the tail and counted. The
 * stream's event loop drains the queue while the stream is writable, gathering up to {@code batchBytes} of frames
 * into one write (one muxer frame, one Noise message, one flush). A peer whose stream is not writable fills only
 * its own queue.
 *
 * <p>Memory: a packet is charged to this peer and to the service's {@link ByteBudget} when it is queued, and is
 * admitted only while this peer holds no more than the budget has free (so stalled peers cannot take all of it
 * from moving ones). It stays charged after it was handed to the stream, until the stream reports it sent
 * ({@link #onSent}): what the muxer still holds for a slow connection counts as this peer's queue. A reset or
 * close gives back everything.
 *
 * <p>Probes (PING, and the PONG answering one) take the packets' way out: the same drain, stream, muxer queue and
 * connection, so a session whose drain, stream or connection does not move fails them. Within this session's queue
 * they go ahead of the packets (a small queue of their own, drained first), as a router gives its control
 * traffic priority, and they are exempt from the byte limits (at most {@link #MAX_QUEUED_PROBES} at once): a full
 * but moving queue neither drops a probe nor makes it late by the queue's depth.
 *
 * <p>Inbound: frames are decoded on the event loop and their packets written to the TUN device. The first frame
 * must be the peer's HELLO naming the node we expect on this connection; until then no packet is sent or
 * accepted. Any malformed frame resets this stream only, with one log line.
 */
final class TunnelSession implements StreamListener, TunnelFrames.Sink {
    private static final Logger LOG = LoggerFactory.getLogger(TunnelSession.class);
    /** Probe frames queued at once beyond the byte limits; more are dropped (a peer flooding PINGs). */
    static final int MAX_QUEUED_PROBES = 16;
    private static final int OVERHEAD = TunnelConfig.PACKET_OVERHEAD;

    final MuxedStream stream;
    final PeerSlot slot;
    private final TunnelService service;
    private final Queue<ByteBuf> queue;
    private final Queue<ByteBuf> probes;
    private final ByteBudget budget;
    private final AtomicInteger queuedPackets = new AtomicInteger();
    private final AtomicInteger queuedProbes = new AtomicInteger();
    /** Frame bytes waiting in {@link #queue}. */
    private final AtomicLong queuedBytes = new AtomicLong();
    /** Frame bytes handed to the stream and not reported sent yet. */
    private final AtomicLong inStream = new AtomicLong();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Runnable drainTask = this::drain;
    private volatile TunnelFrames.Hello remote;
    private volatile boolean dead;
    volatile long lastReceiveNanos;
    /** When a probe frame last left the queue for the stream. */
    private volatile long lastProbeOutNanos;
    private ByteBuf cumulation;

    TunnelSession(TunnelService service, PeerSlot slot, MuxedStream stream) {
        this.service = service;
        this.slot = slot;
        this.stream = stream;
        this.budget = service.budget();
        this.queue = PlatformDependent.newFixedMpscQueue(service.config().queuePackets());
        this.probes = PlatformDependent.newFixedMpscQueue(MAX_QUEUED_PROBES);
        this.lastReceiveNanos = service.nanos();
        this.lastProbeOutNanos = lastReceiveNanos - 1;
    }

    /** Sets the listener and sends our HELLO. */
    void start() {
        stream.setListener(this);
        ByteBuf hello = service.alloc().directBuffer(TunnelFrames.MAX_HELLO + TunnelFrames.HEADER);
        TunnelFrames.writeHello(hello, service.localHello());
        budget.acquireAnyway(hello.readableBytes());
        inStream.addAndGet(hello.readableBytes());
        stream.write(hello);
    }

    /** The peer's HELLO, null until it arrived. */
    TunnelFrames.Hello remote() {
        return remote;
    }

    boolean isDead() {
        return dead;
    }

    /** Bytes this peer holds now: its queue (with the per-packet overhead) and what its stream has not sent. */
    long heldBytes() {
        return queuedBytes.get() + (long) queuedPackets.get() * OVERHEAD + inStream.get();
    }

    /**
     * Charges a packet of {@code length} frame bytes to this peer and to the budget, before any memory is taken
     * for it. Never blocks.
     *
     * @return false if it does not fit (the drop is counted): the packet is to be dropped
     */
    boolean reserve(int length) {
        int charge = length + OVERHEAD;
        if (dead || queuedPackets.get() >= service.config().queuePackets()
                || heldBytes() + charge > service.config().peerQueueBytes()) {
            slot.queueDrops.increment();
            return false;
        }
        // dynamic threshold (a shared switch buffer's rule): no peer holds more than is still free, so peers
        // that stall can together take at most n/(n+1) of the budget and a moving peer always finds room
        if (heldBytes() + charge > budget.limit() - budget.used() || !budget.tryAcquire(charge)) {
            slot.budgetDrops.increment();
            return false;
        }
        return true;
    }

    /** Gives back what {@link #reserve} took for a packet that will not be queued after all. */
    void unreserve(int length) {
        budget.release(length + OVERHEAD);
    }

    /** Queues a framed packet {@link #reserve reserved} before (the session owns it now). Never blocks. */
    void enqueue(ByteBuf frame) {
        // counted before the frame is visible to the drain, which subtracts it the moment it polls it
        int n = frame.readableBytes();
        queuedPackets.incrementAndGet();
        queuedBytes.addAndGet(n);
        if (!queue.offer(frame)) {
            queuedPackets.decrementAndGet();
            queuedBytes.addAndGet(-n);
            unreserve(n);
            frame.release();
            slot.queueDrops.increment();
            return;
        }
        scheduleDrain(); // also when we died meanwhile: the drain then discards the queue and its charges
    }

    /** Queues a PING or PONG behind the packets, outside the byte limits (a bounded number of them). */
    private void offerProbe(ByteBuf frame) {
        if (dead || queuedProbes.incrementAndGet() > MAX_QUEUED_PROBES) {
            queuedProbes.decrementAndGet();
            slot.queueDrops.increment();
            frame.release();
            return;
        }
        int n = frame.readableBytes();
        budget.acquireAnyway(n + OVERHEAD);
        queuedPackets.incrementAndGet();
        queuedBytes.addAndGet(n);
        if (!probes.offer(frame)) {
            queuedProbes.decrementAndGet();
            queuedPackets.decrementAndGet();
            queuedBytes.addAndGet(-n);
            budget.release(n + OVERHEAD);
            frame.release();
            return;
        }
        scheduleDrain();
    }

    private void scheduleDrain() {
        if (scheduled.compareAndSet(false, true)) {
            stream.eventLoop().execute(drainTask);
        }
    }

    /** Takes the next frame off the queue: its overhead is given back, its bytes stay charged until sent. */
    private ByteBuf poll() {
        return pollIfFits(Integer.MAX_VALUE);
    }

    /**
     * {@link #poll} if the next frame has at most {@code room} bytes, else null (the drain is the queues' only
     * consumer, so the frame looked at is the frame taken).
     */
    private ByteBuf pollIfFits(int room) {
        Queue<ByteBuf> from = probes.peek() != null ? probes : queue;
        ByteBuf next = from.peek();
        if (next == null || next.readableBytes() > room) {
            return null;
        }
        ByteBuf b = from.poll();
        if (b != null) {
            int n = b.readableBytes();
            queuedPackets.decrementAndGet();
            queuedBytes.addAndGet(-n);
            inStream.addAndGet(n);
            budget.release(OVERHEAD);
            if (isProbe(b)) {
                queuedProbes.decrementAndGet();
                lastProbeOutNanos = service.nanos();
            } else {
                slot.txPackets.increment();
                slot.txBytes.add(n - TunnelFrames.HEADER);
            }
        }
        return b;
    }

    /** Whether a probe queued at {@code nanos} (or a later one) has left the queue for the stream. */
    boolean probeLeftQueueSince(long nanos) {
        return lastProbeOutNanos - nanos >= 0;
    }

    /** Whether, since {@code nanos}, a probe left our queue and a frame arrived from the peer on this stream. */
    boolean movedBothWaysSince(long nanos) {
        return probeLeftQueueSince(nanos) && lastReceiveNanos - nanos > 0;
    }

    private boolean isEmpty() {
        return probes.isEmpty() && queue.isEmpty();
    }

    private static boolean isProbe(ByteBuf frame) {
        int type = frame.getUnsignedByte(frame.readerIndex());
        return type == TunnelFrames.PING || type == TunnelFrames.PONG;
    }

    /** The stream framed {@code bytes} of what we wrote: they are no longer held on this peer's account. */
    @Override
    public void onSent(MuxedStream s, int bytes) {
        long taken = inStream.getAndUpdate(held -> Math.max(0, held - bytes));
        budget.release(Math.min(taken, bytes));
    }

    /**
     * On the event loop: writes queued frames in batches while the stream takes them. A bug here resets this
     * stream with one log line (the agent opens a new one) rather than leaving the queue undrained for good.
     */
    private void drain() {
        try {
            drainBatches();
        } catch (RuntimeException e) {
            LOG.error("tunnel stream drain failed (a bug): {} peer={}", e, slot.nodeName, e);
            fail("drain failed: " + e);
        }
    }

    private void drainBatches() {
        int limit = service.config().batchBytes();
        try {
            while (!dead && stream.isWritable()) {
                ByteBuf first = poll();
                if (first == null) {
                    break;
                }
                if (first.readableBytes() * 2 > limit) {
                    stream.write(first);
                    continue;
                }
                ByteBuf batch = service.alloc().directBuffer(
                        (int) Math.min(limit, first.readableBytes() + Math.max(0, queuedBytes.get())));
                batch.writeBytes(first);
                first.release();
                ByteBuf next;
                while ((next = pollIfFits(batch.writableBytes())) != null) {
                    batch.writeBytes(next);
                    next.release();
                }
                stream.write(batch);
            }
        } finally {
            scheduled.set(false);
        }
        if (dead) {
            discardQueue();
        } else if (!isEmpty() && stream.isWritable() && scheduled.compareAndSet(false, true)) {
            stream.eventLoop().execute(drainTask);
        }
    }

    @Override
    public void onWritabilityChanged(MuxedStream s) {
        if (s.isWritable() && !isEmpty() && scheduled.compareAndSet(false, true)) {
            drain();
        }
    }

    @Override
    public void onData(MuxedStream s, ByteBuf data) {
        if (dead) {
            data.release();
            return;
        }
        lastReceiveNanos = service.nanos();
        ByteBuf in = data;
        if (cumulation != null) {
            cumulation.writeBytes(data);
            data.release();
            in = cumulation;
        }
        try {
            TunnelFrames.decode(in, service.config().mtu(), service.localHello().gso(), this);
        } catch (TunnelProtocolException e) {
            in.release();
            cumulation = null;
            fail("malformed frame: " + e.getMessage());
            return;
        }
        keepRest(in);
    }

    /** Keeps the bytes of an incomplete frame for the next read. */
    private void keepRest(ByteBuf in) {
        if (!in.isReadable()) {
            in.release();
            cumulation = null;
        } else if (in != cumulation) {
            cumulation = service.alloc().directBuffer(TunnelFrames.MAX_GSO_PAYLOAD + TunnelFrames.HEADER);
            cumulation.writeBytes(in);
            in.release();
        } else {
            cumulation.discardReadBytes();
        }
    }

    @Override
    public void hello(TunnelFrames.Hello hello) {
        if (remote != null) {
            throw new TunnelProtocolException("second hello");
        }
        if (hello.version() != TunnelFrames.VERSION) {
            throw new TunnelProtocolException("hello version " + hello.version() + ", we speak "
                    + TunnelFrames.VERSION);
        }
        if (!hello.nodeName().equals(slot.nodeName)) {
            throw new TunnelProtocolException("hello names node " + hello.nodeName() + ", this connection belongs"
                    + " to " + slot.nodeName);
        }
        remote = hello;
        service.activate(this);
    }

    @Override
    public void packet(ByteBuf packet, boolean gso) {
        if (remote == null) {
            throw new TunnelProtocolException("packet before hello");
        }
        service.deliver(this, packet, gso);
    }

    @Override
    public void ping(long token) {
        offerProbe(TunnelFrames.writeToken(service.alloc().directBuffer(12), TunnelFrames.PONG, token));
    }

    @Override
    public void pong(long token) {
        service.pong(token);
    }

    /** Queues a PING ahead of the packets, on their way out (a session that does not move fails the probe). */
    void sendPing(long token) {
        offerProbe(TunnelFrames.writeToken(service.alloc().directBuffer(12), TunnelFrames.PING, token));
    }

    /** Resets the stream with one log line; nothing else is affected. */
    void fail(String why) {
        if (dead) {
            return;
        }
        LOG.warn("tunnel stream reset: {} peer={} protocol={}", why, slot.nodeName, TunnelFrames.PROTOCOL);
        slot.resets.increment();
        close();
        stream.reset();
    }

    /** Detaches from the peer's slot and drops what is queued (on the event loop). */
    void close() {
        dead = true;
        service.deactivate(this);
        stream.eventLoop().execute(this::discardQueue);
    }

    /** Drops what is queued and gives back every byte still charged (the stream's queue dies with it). */
    private void discardQueue() {
        ByteBuf b;
        while ((b = probes.poll()) != null || (b = queue.poll()) != null) {
            queuedPackets.decrementAndGet();
            queuedBytes.addAndGet(-b.readableBytes());
            if (isProbe(b)) {
                queuedProbes.decrementAndGet();
            }
            budget.release(b.readableBytes() + OVERHEAD);
            b.release();
        }
        budget.release(inStream.getAndSet(0));
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }

    @Override
    public void onRemoteClose(MuxedStream s) {
        LOG.info("tunnel stream closed by the peer peer={}", slot.nodeName);
        close();
        s.closeWrite();
    }

    @Override
    public void onReset(MuxedStream s, Libp2pException cause) {
        if (!dead) {
            LOG.info("tunnel stream lost peer={}: {}", slot.nodeName, cause == null ? "reset" : cause.getMessage());
            close();
        }
    }
}
