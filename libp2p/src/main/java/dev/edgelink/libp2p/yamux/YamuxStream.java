package dev.edgelink.libp2p.yamux;

import dev.edgelink.libp2p.InternalException;
import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.mux.ByteBudget;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import dev.edgelink.libp2p.mux.StreamMuxer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.EventLoop;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One yamux stream of a {@link YamuxSession}.
 *
 * <p>Design: all state lives on the session's event loop; public methods called from other threads hop there.
 * The only exception is the count of queued outbound bytes, which {@link #write} raises at once on the caller's
 * thread so that {@link #isWritable()} turns false for a writer on another thread before its bytes reach the
 * loop.
 *
 * <p>Receiving: the stream grants the remote a window ({@code recvCredit}); a DATA frame longer than what is
 * left is a protocol violation. Bytes go straight to the listener while autoRead is on; credit comes back in a
 * WINDOW_UPDATE once at least half the window was consumed, and each update doubles the window up to
 * {@code maxReceiveWindow}, so only streams that move data grow. While autoRead is off nothing is consumed, no
 * credit returns, and the remote stops after one window.
 *
 * <p>Sending: writes are queued; the session drains queues round-robin, one frame per turn, as far as the
 * remote's window and the connection's writability allow.
 */
public final class YamuxStream implements MuxedStream {
    private static final Logger LOG = LoggerFactory.getLogger(YamuxStream.class);

    /**
     * The stream life cycle. Transitions are pure, so they are tested without a channel. Whether an outbound
     * stream was acknowledged is tracked apart from this (it only matters for the ACK backlog), so a stream that
     * half-closes before its ACK arrives is LOCAL_CLOSE, not SYN_SENT.
     */
    public enum State {
        /** Created locally, SYN not written yet. */
        INIT,
        /** Outbound, SYN written, no ACK yet. Data may flow already. */
        SYN_SENT,
        /** Inbound, SYN received, ACK not written yet. */
        SYN_RECEIVED,
        ESTABLISHED,
        /** We sent FIN; the remote may still send. */
        LOCAL_CLOSE,
        /** The remote sent FIN; we may still send. */
        REMOTE_CLOSE,
        /** Both sides sent FIN. */
        CLOSED,
        /** Aborted by either side or lost with the session. */
        RESET;

        public State onSynSent() {
            return require(this == INIT, "SYN sent") ? SYN_SENT : this;
        }

        public State onAckSent() {
            return require(this == SYN_RECEIVED, "ACK sent") ? ESTABLISHED : this;
        }

        /** An ACK completes the open; on any other state it changes nothing. */
        public State onAckReceived() {
            return this == SYN_SENT ? ESTABLISHED : this;
        }

        public State onLocalFin() {
            switch (this) {
                case INIT:
                case SYN_SENT:
                case SYN_RECEIVED:
                case ESTABLISHED:
                    return LOCAL_CLOSE;
                case REMOTE_CLOSE:
                    return CLOSED;
                default:
                    throw new InternalException("yamux stream: FIN sent in state " + this);
            }
        }

        /** A repeated FIN is tolerated; FIN after a reset is the benign race of a crossing RST. */
        public State onRemoteFin() {
            switch (this) {
                case SYN_SENT:
                case SYN_RECEIVED:
                case ESTABLISHED:
                    return REMOTE_CLOSE;
                case LOCAL_CLOSE:
                    return CLOSED;
                default:
                    return this;
            }
        }

        public State onReset() {
            return RESET;
        }

        public boolean canSend() {
            return this == INIT || this == SYN_SENT || this == SYN_RECEIVED || this == ESTABLISHED
                    || this == REMOTE_CLOSE;
        }

        public boolean canReceive() {
            return this == SYN_SENT || this == SYN_RECEIVED || this == ESTABLISHED || this == LOCAL_CLOSE;
        }

        public boolean isTerminal() {
            return this == CLOSED || this == RESET;
        }

        private boolean require(boolean ok, String event) {
            if (!ok) {
                throw new InternalException("yamux stream: " + event + " in state " + this);
            }
            return true;
        }
    }

    private final YamuxSession session;
    private final YamuxConfig config;
    private final long id;
    private final boolean outbound;

    private volatile State state;
    private volatile StreamListener listener;
    private volatile boolean autoRead = true;
    private boolean acked;

    // inbound, event loop only
    private final ArrayDeque<ByteBuf> inbound = new ArrayDeque<>();
    private long inboundBytes;
    private long recvWindow;
    /** Pays for what the stream holds beyond its initial window, when set ({@link #chargeReceiveWindow}). */
    private volatile ByteBudget windowBudget;
    /** How far the receive window grew beyond the initial one (event loop only). */
    private long windowGrowth;
    /** What {@link #windowBudget} holds for this stream: the larger of the growth and the bytes buffered. */
    private long windowCharged;
    private long recvCredit;
    private long pendingCredit;
    private boolean remoteFinPending;
    private Libp2pException pendingReset;
    private boolean delivering;

    // outbound
    private final AtomicLong queuedBytes = new AtomicLong();
    private final ArrayDeque<ByteBuf> outQueue = new ArrayDeque<>();
    private long queuedOnLoop;
    private long sendWindow = YamuxConfig.SPEC_INITIAL_WINDOW;
    private boolean finRequested;
    private boolean finSent;
    private boolean writableByQueue = true;
    private volatile boolean writable = true;
    boolean inReadyQueue;

    YamuxStream(YamuxSession session, YamuxConfig config, long id, boolean outbound, State initial) {
        this.session = session;
        this.config = config;
        this.id = id;
        this.outbound = outbound;
        this.state = initial;
        this.recvWindow = config.initialReceiveWindow();
        this.recvCredit = config.initialReceiveWindow();
        this.acked = !outbound;
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public boolean isOutbound() {
        return outbound;
    }

    @Override
    public StreamMuxer muxer() {
        return session;
    }

    @Override
    public EventLoop eventLoop() {
        return session.eventLoop();
    }

    /** The current state; read from any thread, changed only on the event loop. */
    public State state() {
        return state;
    }

    @Override
    public void setListener(StreamListener newListener) {
        session.runOnLoop(() -> {
            listener = newListener;
            if (newListener == null) {
                return;
            }
            if (pendingReset != null) {
                Libp2pException cause = pendingReset;
                pendingReset = null;
                newListener.onReset(this, cause);
                return;
            }
            deliverBuffered();
        });
    }

    @Override
    public void write(ByteBuf data) {
        int n = data.readableBytes();
        queuedBytes.addAndGet(n);
        if (!session.runOnLoop(() -> enqueue(data, n))) {
            queuedBytes.addAndGet(-n);
            data.release();
        }
    }

    @Override
    public boolean isWritable() {
        return writable && queuedBytes.get() <= config.streamHighWaterMark();
    }

    @Override
    public void chargeReceiveWindow(ByteBudget budget) {
        session.runOnLoop(() -> {
            if (windowBudget == null && !state.isTerminal()) {
                windowBudget = budget;
                windowGrowth = Math.max(0, recvWindow - config.initialReceiveWindow());
                windowCharged = Math.max(windowGrowth, inboundBytes);
                budget.acquireAnyway(windowCharged); // already granted or here: nothing to refuse
            }
        });
    }

    /**
     * Brings the charge to what the stream holds now, the larger of its window's growth and its buffered bytes;
     * false when buffered bytes do not fit under the budget's limit (the caller resets the stream).
     */
    private boolean recharge() {
        ByteBudget b = windowBudget;
        if (b == null) {
            return true;
        }
        long want = Math.max(windowGrowth, inboundBytes);
        long delta = want - windowCharged;
        if (delta > 0 && !b.tryAcquireReceived(delta)) {
            return false;
        }
        if (delta < 0) {
            b.release(-delta);
        }
        windowCharged = want;
        return true;
    }

    /** Gives back everything the stream holds of its budget; once, when the stream leaves its session. */
    void releaseWindowCharge() {
        ByteBudget b = windowBudget;
        if (b != null && windowCharged > 0) {
            b.release(windowCharged);
        }
        windowCharged = 0;
        windowGrowth = 0;
        windowBudget = null;
    }

    @Override
    public void setAutoRead(boolean on) {
        autoRead = on;
        if (on) {
            session.runOnLoop(this::deliverBuffered);
        }
    }

    @Override
    public void closeWrite() {
        session.runOnLoop(() -> {
            if (!state.canSend() || finRequested) {
                return;
            }
            finRequested = true;
            updateWritability();
            session.markReady(this);
        });
    }

    @Override
    public void reset() {
        session.runOnLoop(() -> resetLocally(null));
    }

    @Override
    public boolean isClosed() {
        return state.isTerminal();
    }

    @Override
    public String toString() {
        return "YamuxStream[id=" + id + (outbound ? " outbound " : " inbound ") + state + "]";
    }

    // ---- session side: state changes on the wire (event loop only) ----

    void onSynSent() {
        state = state.onSynSent();
    }

    void onAckSent() {
        state = state.onAckSent();
    }

    boolean acked() {
        return acked;
    }

    /** Returns true when this ACK acknowledged the stream (it leaves the ACK backlog). */
    boolean onAckReceived() {
        state = state.onAckReceived();
        if (acked) {
            return false;
        }
        acked = true;
        return true;
    }

    void onWindowUpdate(long delta) {
        sendWindow += delta;
        session.markReady(this);
    }

    /** Checks a DATA header against the window we granted, before any of its payload is read. */
    void onDataHeader(long length) {
        if (length == 0 || state == State.RESET) {
            return;
        }
        if (!state.canReceive()) {
            throw new ProtocolViolationException("yamux DATA after FIN: stream=" + id + " length=" + length);
        }
        if (length > recvCredit) {
            throw new LimitExceededException("yamux.receiveWindow of stream=" + id, recvCredit, length);
        }
        recvCredit -= length;
    }

    void onPayload(ByteBuf part) {
        if (state == State.RESET) {
            part.release();
            return;
        }
        StreamListener l = listener;
        if (l != null && autoRead && inbound.isEmpty() && !delivering) {
            int n = part.readableBytes();
            deliver(l, part);
            consumed(n);
            return;
        }
        int n = part.readableBytes();
        inbound.add(part);
        inboundBytes += n;
        session.buffered(this, n);
        if (!state.isTerminal() && !recharge()) {
            ByteBudget b = windowBudget;
            resetLocally(new LimitExceededException(b.name() + " (buffered by stream=" + id + ")", b.limit(),
                    b.used() + inboundBytes - windowCharged));
        }
    }

    void onRemoteFin() {
        State before = state;
        state = state.onRemoteFin();
        if (before == state) {
            return;
        }
        remoteFinPending = true;
        updateWritability();
        deliverBuffered();
    }

    void onRemoteReset() {
        if (state == State.RESET) {
            return;
        }
        terminate(new TransportException("yamux stream reset by the remote: stream=" + id));
    }

    void onSessionClosed(TransportException cause) {
        if (state == State.RESET) {
            return;
        }
        terminate(cause);
    }

    /** Resets after a local decision; {@code cause} (a broken limit) goes to the listener, null for reset(). */
    void resetLocally(Libp2pException cause) {
        if (state.isTerminal() && inbound.isEmpty()) {
            return;
        }
        if (state != State.RESET) {
            session.writeRst(id);
        }
        if (cause != null) {
            LOG.atDebug().addKeyValue("remote", session.remoteAddress()).addKeyValue("stream", id)
                    .log("yamux stream reset: {}", cause.getMessage());
            terminate(cause);
        } else {
            state = State.RESET;
            releaseQueues();
            session.removeStream(this);
        }
    }

    private void terminate(Libp2pException cause) {
        state = State.RESET;
        releaseQueues();
        session.removeStream(this);
        updateWritability();
        StreamListener l = listener;
        if (l == null) {
            pendingReset = cause;
            return;
        }
        try {
            l.onReset(this, cause);
        } catch (RuntimeException e) {
            LOG.atWarn().addKeyValue("stream", id).setCause(e).log("yamux stream listener failed in onReset");
        }
    }

    private void releaseQueues() {
        while (!inbound.isEmpty()) {
            ByteBuf b = inbound.poll();
            session.unbuffered(b.readableBytes());
            b.release();
        }
        inboundBytes = 0;
        remoteFinPending = false;
        while (!outQueue.isEmpty()) {
            outQueue.poll().release();
        }
        queuedBytes.addAndGet(-queuedOnLoop);
        queuedOnLoop = 0;
    }

    // ---- inbound delivery ----

    private void deliverBuffered() {
        if (delivering) {
            return;
        }
        delivering = true;
        try {
            long n = 0;
            StreamListener l;
            while ((l = listener) != null && autoRead && !inbound.isEmpty() && state != State.RESET) {
                ByteBuf b = inbound.poll();
                int len = b.readableBytes();
                inboundBytes -= len;
                session.unbuffered(len);
                recharge(); // before the listener takes the bytes over, so that they are not counted twice
                n += len;
                deliver(l, b);
            }
            if (n > 0) {
                consumed(n);
            }
            l = listener;
            if (remoteFinPending && inbound.isEmpty() && l != null && state != State.RESET) {
                remoteFinPending = false;
                l.onRemoteClose(this);
            }
        } finally {
            delivering = false;
        }
        session.maybeRemove(this);
    }

    private void deliver(StreamListener l, ByteBuf data) {
        try {
            l.onData(this, data);
        } catch (RuntimeException e) {
            LOG.atWarn().addKeyValue("stream", id).setCause(e).log("yamux stream listener failed in onData");
            resetLocally(new InternalException("listener of stream " + id + " failed: " + e, e));
        }
    }

    /** Returns credit once at least half the window was consumed, growing the window on the way. */
    private void consumed(long n) {
        pendingCredit += n;
        if (!state.canReceive() || pendingCredit < recvWindow / 2) {
            return;
        }
        long grown = Math.min(recvWindow * 2, config.maxReceiveWindow());
        ByteBudget b = windowBudget;
        if (b != null && grown > recvWindow) {
            long growth = windowGrowth + grown - recvWindow;
            long extra = Math.max(growth, inboundBytes) - windowCharged;
            if (state.isTerminal() || !b.tryAcquire(extra)) {
                grown = recvWindow; // no memory to promise: the window stays as it is
            } else {
                windowGrowth = growth;
                windowCharged += extra;
            }
        }
        long delta = pendingCredit + (grown - recvWindow);
        recvWindow = grown;
        recvCredit += delta;
        pendingCredit = 0;
        session.writeControl(YamuxHeader.windowUpdate(0, id, delta));
    }

    boolean hasBufferedInbound() {
        return !inbound.isEmpty() || remoteFinPending;
    }

    long inboundBytes() {
        return inboundBytes;
    }

    // ---- outbound ----

    private void enqueue(ByteBuf data, int n) {
        if (!state.canSend() || finRequested || n == 0) {
            queuedBytes.addAndGet(-n);
            data.release();
            return;
        }
        outQueue.add(data);
        queuedOnLoop += n;
        long queued = queuedBytes.get();
        if (queued > config.maxStreamQueuedBytes()) {
            resetLocally(new LimitExceededException("yamux.maxStreamQueuedBytes of stream=" + id,
                    config.maxStreamQueuedBytes(), queued));
            return;
        }
        updateWritability();
        session.markReady(this);
    }

    /** Whether the session's drain loop has anything to do for this stream. */
    boolean hasSendable() {
        if (!state.canSend()) {
            return false;
        }
        if (!outQueue.isEmpty()) {
            return sendWindow > 0;
        }
        return finRequested && !finSent;
    }

    /** Writes at most one frame; returns whether more is sendable now. */
    boolean emitFrame() {
        if (!hasSendable()) {
            return false;
        }
        if (outQueue.isEmpty()) {
            finSent = true;
            state = state.onLocalFin();
            session.writeControl(YamuxHeader.windowUpdate(YamuxFlags.FIN, id, 0));
            session.maybeRemove(this);
            return false;
        }
        int n = (int) Math.min(Math.min(queuedOnLoop, sendWindow), config.maxOutboundFrameSize());
        ByteBuf payload = take(n);
        sendWindow -= n;
        queuedOnLoop -= n;
        queuedBytes.addAndGet(-n);
        // FIN always travels in a frame of its own (the next turn, as a window update), never on the last DATA
        // frame: js-libp2p-yamux 8 acts on a frame's FIN before its payload and would drop those bytes.
        session.writeData(YamuxHeader.data(0, id, n), payload);
        StreamListener l = listener;
        if (l != null) {
            try {
                l.onSent(this, n);
            } catch (RuntimeException e) {
                LOG.atWarn().addKeyValue("stream", id).setCause(e).log("yamux stream listener failed in onSent");
            }
        }
        updateWritability();
        return hasSendable();
    }

    private ByteBuf take(int n) {
        ByteBuf first = outQueue.peek();
        int readable = first.readableBytes();
        if (readable > n) {
            return first.readRetainedSlice(n);
        }
        if (readable == n) {
            return outQueue.poll();
        }
        CompositeByteBuf composite = session.alloc().compositeBuffer(Integer.MAX_VALUE);
        int remaining = n;
        while (remaining > 0) {
            ByteBuf b = outQueue.peek();
            if (b.readableBytes() <= remaining) {
                remaining -= b.readableBytes();
                composite.addComponent(true, outQueue.poll());
            } else {
                composite.addComponent(true, b.readRetainedSlice(remaining));
                remaining = 0;
            }
        }
        return composite;
    }

    /** Recomputes writability (queue hysteresis, connection, state) and tells the listener when it changed. */
    void updateWritability() {
        long queued = queuedBytes.get();
        if (writableByQueue && queued > config.streamHighWaterMark()) {
            writableByQueue = false;
        } else if (!writableByQueue && queued <= config.streamLowWaterMark()) {
            writableByQueue = true;
        }
        boolean now = writableByQueue && session.isChannelWritable() && state.canSend() && !finRequested;
        if (now == writable) {
            return;
        }
        writable = now;
        StreamListener l = listener;
        if (l != null) {
            try {
                l.onWritabilityChanged(this);
            } catch (RuntimeException e) {
                LOG.atWarn().addKeyValue("stream", id).setCause(e)
                        .log("yamux stream listener failed in onWritabilityChanged");
            }
        }
    }
}
