package dev.edgelink.dataplane.tunnel;

import dev.edgelink.libp2p.Libp2pException;
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
 * <p>Outbound: the TUN reader {@link #offer}s framed packets into a bounded queue and never waits; when the queue
 * is full the packet is dropped and counted. The stream's event loop drains the queue while the stream is
 * writable, gathering up to {@code batchBytes} of frames into one write (one muxer frame, one Noise message, one
 * flush). A peer whose stream is not writable fills only its own queue.
 *
 * <p>Inbound: frames are decoded on the event loop and their packets written to the TUN device. The first frame
 * must be the peer's HELLO naming the node we expect on this connection; until then no packet is sent or
 * accepted. Any malformed frame resets this stream only, with one log line.
 */
final class TunnelSession implements StreamListener, TunnelFrames.Sink {
    private static final Logger LOG = LoggerFactory.getLogger(TunnelSession.class);

    final MuxedStream stream;
    final PeerSlot slot;
    private final TunnelService service;
    private final Queue<ByteBuf> queue;
    private final AtomicInteger queuedPackets = new AtomicInteger();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Runnable drainTask = this::drain;
    private volatile TunnelFrames.Hello remote;
    private volatile boolean dead;
    volatile long lastReceiveNanos;
    private ByteBuf cumulation;

    TunnelSession(TunnelService service, PeerSlot slot, MuxedStream stream) {
        this.service = service;
        this.slot = slot;
        this.stream = stream;
        this.queue = PlatformDependent.newFixedMpscQueue(service.config().queuePackets());
        this.lastReceiveNanos = service.nanos();
    }

    /** Sets the listener and sends our HELLO. */
    void start() {
        stream.setListener(this);
        ByteBuf hello = service.alloc().directBuffer(TunnelFrames.MAX_HELLO + TunnelFrames.HEADER);
        TunnelFrames.writeHello(hello, service.localHello());
        stream.write(hello);
    }

    /** The peer's HELLO, null until it arrived. */
    TunnelFrames.Hello remote() {
        return remote;
    }

    boolean isDead() {
        return dead;
    }

    /**
     * Queues one framed packet ({@code readable} bytes from header to end). Never blocks.
     *
     * @return false if the queue was full: the caller keeps the buffer, the drop is counted
     */
    boolean offer(ByteBuf frame) {
        int size = frame.readableBytes();
        if (queuedPackets.get() >= service.config().queuePackets()
                || queuedBytes.get() + size > service.config().queueBytes() || !queue.offer(frame)) {
            slot.queueDrops.increment();
            return false;
        }
        queuedPackets.incrementAndGet();
        queuedBytes.addAndGet(size);
        if (scheduled.compareAndSet(false, true)) {
            stream.eventLoop().execute(drainTask);
        }
        return true;
    }

    private ByteBuf poll() {
        ByteBuf b = queue.poll();
        if (b != null) {
            queuedPackets.decrementAndGet();
            queuedBytes.addAndGet(-b.readableBytes());
            slot.txPackets.increment();
            slot.txBytes.add(b.readableBytes() - TunnelFrames.HEADER);
        }
        return b;
    }

    /** On the event loop: writes queued frames in batches while the stream takes them. */
    private void drain() {
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
                ByteBuf batch = service.alloc().directBuffer(limit);
                batch.writeBytes(first);
                first.release();
                ByteBuf next;
                while ((next = queue.peek()) != null && next.readableBytes() <= batch.writableBytes()) {
                    poll();
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
        } else if (!queue.isEmpty() && stream.isWritable() && scheduled.compareAndSet(false, true)) {
            stream.eventLoop().execute(drainTask);
        }
    }

    @Override
    public void onWritabilityChanged(MuxedStream s) {
        if (s.isWritable() && !queue.isEmpty() && scheduled.compareAndSet(false, true)) {
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
        stream.write(TunnelFrames.writeToken(service.alloc().directBuffer(12), TunnelFrames.PONG, token));
    }

    @Override
    public void pong(long token) {
        service.pong(token);
    }

    /** Sends a PING now, outside the packet queue (so a full queue never delays a probe). */
    void sendPing(long token) {
        stream.write(TunnelFrames.writeToken(service.alloc().directBuffer(12), TunnelFrames.PING, token));
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

    private void discardQueue() {
        ByteBuf b;
        while ((b = queue.poll()) != null) {
            queuedPackets.decrementAndGet();
            queuedBytes.addAndGet(-b.readableBytes());
            b.release();
        }
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
