package dev.edgelink.libp2p.yamux;

import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamMuxer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A yamux session: the {@link StreamMuxer} of one secured connection, as a Netty handler placed after the secure
 * channel. Inbound it takes plaintext {@link ByteBuf}s in any chunking; outbound it writes {@link ByteBuf}s.
 *
 * <p>Design, and why:
 * <ul>
 *   <li>Everything runs on the channel's event loop; public methods hop there. No locks.</li>
 *   <li>Inbound payloads are handed to streams as retained slices of the buffers the secure channel produced
 *       ({@link YamuxFrameReader}); nothing is copied or collected per frame.</li>
 *   <li>Outbound, a DATA frame is a composite of a 12-byte header and a retained slice of what the stream's
 *       writer queued. Streams are drained round-robin, one frame (at most {@code maxOutboundFrameSize}) per
 *       turn, so a busy stream cannot starve the others, and only while the channel is writable: when the
 *       remote stops reading, queues stop draining, streams turn unwritable and their writers stop.</li>
 *   <li>Control frames (window updates, SYN/ACK/FIN/RST, pings) collect in one small buffer and go out with the
 *       next flush. There is one flush per read batch or per event-loop turn of writes, never one per frame.</li>
 *   <li>A peer that breaks the protocol gets a GO_AWAY with the protocol-error code; the session logs one line,
 *       resets every stream, fires the typed exception down the pipeline and closes the connection. Frames for a
 *       stream that existed but is gone are dropped quietly: the remote may not have seen our FIN/RST yet.</li>
 * </ul>
 */
public final class YamuxSession extends ChannelDuplexHandler implements StreamMuxer, YamuxFrameReader.Sink {
    /** The protocol id negotiated by multistream-select. */
    public static final String PROTOCOL_ID = "/yamux/1.0.0";

    private static final Logger LOG = LoggerFactory.getLogger(YamuxSession.class);
    /** Payloads up to this size are copied next to their header rather than referenced from a composite. */
    private static final int COPY_THRESHOLD = 256;

    private final YamuxRole role;
    private final YamuxConfig config;
    private final Consumer<MuxedStream> inboundHandler;
    private final LongSupplier nanoClock;
    private final YamuxFrameReader reader;

    private final Map<Long, YamuxStream> streams = new HashMap<>();
    private final ArrayDeque<YamuxStream> ready = new ArrayDeque<>();
    private final Map<Long, PendingPing> pings = new HashMap<>();
    private volatile int activeStreams;
    private int inboundStreams;
    private int outboundStreams;
    private int unacknowledged;
    private long nextStreamId;
    private long highestRemoteId;
    private long nextPingId;
    private long bufferedInbound;

    private volatile ChannelHandlerContext ctx;
    private Promise<Void> closePromise;
    private ByteBuf control;
    private long controlWhileBlocked;
    private boolean channelWritable = true;
    private boolean inRead;
    private boolean flushNeeded;
    private boolean flushScheduled;
    private boolean draining;
    private YamuxStream dataTarget;
    private boolean localGoAway;
    private boolean remoteGoAway;
    private boolean closing;
    private volatile boolean closed;
    private ScheduledFuture<?> stallTimer;
    private ScheduledFuture<?> goAwayTimer;

    /**
     * @param role client (dialer, odd stream ids) or server (listener, even ids)
     * @param config limits and timeouts
     * @param inboundHandler receives each stream the remote opens, on the event loop; it should set a listener
     */
    public YamuxSession(YamuxRole role, YamuxConfig config, Consumer<MuxedStream> inboundHandler) {
        this(role, config, inboundHandler, System::nanoTime);
    }

    /** As above, with the clock that measures ping round trips (tests pass their own). */
    public YamuxSession(YamuxRole role, YamuxConfig config, Consumer<MuxedStream> inboundHandler,
            LongSupplier nanoClock) {
        this.role = Objects.requireNonNull(role, "role");
        this.config = Objects.requireNonNull(config, "config");
        this.inboundHandler = Objects.requireNonNull(inboundHandler, "inboundHandler");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.reader = new YamuxFrameReader(config.maxInboundFrameSize());
        this.nextStreamId = role.firstStreamId();
    }

    public YamuxRole role() {
        return role;
    }

    public YamuxConfig config() {
        return config;
    }

    // ---- StreamMuxer ----

    @Override
    public String protocolId() {
        return PROTOCOL_ID;
    }

    @Override
    public CompletableFuture<MuxedStream> openStream() {
        CompletableFuture<MuxedStream> result = new CompletableFuture<>();
        boolean scheduled = runOnLoop(() -> {
            try {
                result.complete(openOnLoop());
            } catch (Libp2pException e) {
                result.completeExceptionally(e);
            }
        });
        if (!scheduled) {
            result.completeExceptionally(new TransportException("yamux session is not running"));
        }
        return result;
    }

    @Override
    public CompletableFuture<Duration> ping() {
        CompletableFuture<Duration> result = new CompletableFuture<>();
        boolean scheduled = runOnLoop(() -> pingOnLoop(result));
        if (!scheduled) {
            result.completeExceptionally(new TransportException("yamux session is not running"));
        }
        return result;
    }

    @Override
    public int activeStreams() {
        return activeStreams;
    }

    @Override
    public void goAway() {
        runOnLoop(this::goAwayOnLoop);
    }

    @Override
    public void close() {
        runOnLoop(() -> closeWith(null));
    }

    @Override
    public Future<?> closeFuture() {
        return attached().closePromise;
    }

    @Override
    public EventLoop eventLoop() {
        return attached().ctx.channel().eventLoop();
    }

    private YamuxSession attached() {
        if (ctx == null) {
            throw new IllegalStateException("yamux session is not in a channel pipeline yet");
        }
        return this;
    }

    // ---- Netty handler ----

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.ctx = context;
        this.closePromise = context.executor().newPromise();
        this.channelWritable = context.channel().isWritable();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext context) {
        if (!closed) {
            shutDown(new TransportException("yamux session removed from the pipeline"), false);
        }
        releaseControl();
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        if (!closed) {
            shutDown(new TransportException("connection closed"), false);
        }
        context.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext context, Object msg) {
        if (!(msg instanceof ByteBuf)) {
            context.fireChannelRead(msg);
            return;
        }
        ByteBuf in = (ByteBuf) msg;
        inRead = true;
        try {
            if (!closed) {
                reader.read(in, this);
            }
        } catch (Libp2pException e) {
            fail(e);
        } finally {
            inRead = false;
            in.release();
        }
        scheduleFlush();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext context) {
        drain();
        flushNow();
        context.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext context) {
        channelWritable = context.channel().isWritable();
        if (channelWritable) {
            controlWhileBlocked = 0;
            cancel(stallTimer);
            stallTimer = null;
            drain();
            flushNow();
        } else if (stallTimer == null && !closed) {
            stallTimer = context.executor().schedule(this::stalled,
                    config.writeStallTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }
        for (YamuxStream s : new ArrayList<>(streams.values())) {
            s.updateWritability();
        }
        context.fireChannelWritabilityChanged();
    }

    private void stalled() {
        stallTimer = null;
        if (!closed && !ctx.channel().isWritable()) {
            fail(new TransportException("yamux.writeStallTimeout: the remote has not read anything for "
                    + config.writeStallTimeout().toSeconds() + " s"));
        }
    }

    // ---- inbound frames (YamuxFrameReader.Sink) ----

    @Override
    public boolean accepting() {
        return !closed;
    }

    @Override
    public boolean onHeader(YamuxHeader h) {
        switch (h.type()) {
            case PING:
                onPing(h);
                return false;
            case GO_AWAY:
                onGoAway(h);
                return false;
            default:
                return onStreamFrame(h);
        }
    }

    @Override
    public void onPayload(YamuxHeader header, ByteBuf part) {
        YamuxStream target = dataTarget;
        if (target == null) {
            part.release();
        } else {
            target.onPayload(part);
        }
    }

    @Override
    public void onDataEnd(YamuxHeader header) {
        YamuxStream target = dataTarget;
        dataTarget = null;
        if (target != null && header.has(YamuxFlags.FIN)) {
            target.onRemoteFin();
        }
    }

    private boolean onStreamFrame(YamuxHeader h) {
        long id = h.streamId();
        if (id == 0) {
            throw new ProtocolViolationException("yamux " + h.type() + " frame on stream 0 (reserved for the session)");
        }
        YamuxStream s = streams.get(id);
        if (h.has(YamuxFlags.SYN)) {
            if (s != null) {
                throw new ProtocolViolationException("yamux SYN for a stream that is open: stream=" + id);
            }
            s = acceptInbound(id);
        } else if (s == null && !wasOpened(id)) {
            throw new ProtocolViolationException("yamux " + h.type() + " for a stream never opened: stream=" + id);
        }
        if (s == null || s.isClosed() && !s.hasBufferedInbound()) {
            return false;
        }
        if (h.has(YamuxFlags.RST)) {
            s.onRemoteReset();
            return false;
        }
        if (h.has(YamuxFlags.ACK) && s.onAckReceived()) {
            unacknowledged--;
        }
        if (h.type() == YamuxFrameType.WINDOW_UPDATE) {
            s.onWindowUpdate(h.length());
            if (h.has(YamuxFlags.FIN)) {
                s.onRemoteFin();
            }
            return false;
        }
        s.onDataHeader(h.length());
        dataTarget = s;
        return true;
    }

    /** True for an id that was in use at some time: frames for it are late, not invented. */
    private boolean wasOpened(long id) {
        return role.opens(id) ? id < nextStreamId : id <= highestRemoteId;
    }

    private YamuxStream acceptInbound(long id) {
        if (role.opens(id)) {
            throw new ProtocolViolationException("yamux SYN with an id of our parity: stream=" + id + " (we are "
                    + role + ")");
        }
        if (id <= highestRemoteId) {
            throw new ProtocolViolationException("yamux SYN reuses stream=" + id + " (highest seen "
                    + highestRemoteId + ")");
        }
        highestRemoteId = id;
        if (localGoAway) {
            writeRst(id);
            return null;
        }
        if (inboundStreams >= config.maxInboundStreams()) {
            LOG.atDebug().addKeyValue("remote", remoteAddress()).addKeyValue("stream", id)
                    .log("yamux inbound stream refused: yamux.maxInboundStreams={} reached",
                            config.maxInboundStreams());
            writeRst(id);
            return null;
        }
        YamuxStream s = new YamuxStream(this, config, id, false, YamuxStream.State.SYN_RECEIVED);
        register(s);
        writeControl(YamuxHeader.windowUpdate(YamuxFlags.ACK, id, extraWindow()));
        s.onAckSent();
        try {
            inboundHandler.accept(s);
        } catch (RuntimeException e) {
            LOG.atWarn().addKeyValue("remote", remoteAddress()).addKeyValue("stream", id).setCause(e)
                    .log("yamux inbound stream handler failed; stream reset");
            s.reset();
        }
        return s;
    }

    private void onPing(YamuxHeader h) {
        if (h.streamId() != 0) {
            throw new ProtocolViolationException("yamux PING on stream=" + h.streamId() + " (must be 0)");
        }
        if (h.has(YamuxFlags.SYN)) {
            writeControl(YamuxHeader.ping(YamuxFlags.ACK, h.length()));
        } else if (h.has(YamuxFlags.ACK)) {
            PendingPing p = pings.remove(h.length());
            if (p != null) {
                cancel(p.timeout);
                p.result.complete(Duration.ofNanos(Math.max(0, nanoClock.getAsLong() - p.startNanos)));
            }
        } else {
            throw new ProtocolViolationException("yamux PING with neither SYN nor ACK: flags="
                    + YamuxFlags.describe(h.flags()));
        }
    }

    private void onGoAway(YamuxHeader h) {
        if (h.streamId() != 0) {
            throw new ProtocolViolationException("yamux GO_AWAY on stream=" + h.streamId() + " (must be 0)");
        }
        remoteGoAway = true;
        GoAwayCode code = GoAwayCode.fromCode(h.length());
        if (code == GoAwayCode.NORMAL) {
            LOG.atDebug().addKeyValue("remote", remoteAddress()).log("yamux remote is going away");
            return;
        }
        fail(new TransportException("yamux remote sent GO_AWAY code=" + h.length() + " ("
                + (code == null ? "unknown" : code) + ")"));
    }

    // ---- streams ----

    private MuxedStream openOnLoop() {
        if (closed) {
            throw new TransportException("yamux session is closed");
        }
        if (localGoAway || remoteGoAway) {
            throw new TransportException("yamux session is going away: open streams on a new connection");
        }
        if (outboundStreams >= config.maxOutboundStreams()) {
            throw new LimitExceededException("yamux.maxOutboundStreams", config.maxOutboundStreams(),
                    outboundStreams + 1L);
        }
        if (unacknowledged >= config.maxAckBacklog()) {
            throw new LimitExceededException("yamux.maxAckBacklog", config.maxAckBacklog(), unacknowledged + 1L);
        }
        if (nextStreamId > YamuxHeader.MAX_UINT32) {
            throw new TransportException("yamux stream ids of this connection are used up: open a new connection");
        }
        long id = nextStreamId;
        nextStreamId += 2;
        YamuxStream s = new YamuxStream(this, config, id, true, YamuxStream.State.INIT);
        register(s);
        unacknowledged++;
        writeControl(YamuxHeader.windowUpdate(YamuxFlags.SYN, id, extraWindow()));
        s.onSynSent();
        return s;
    }

    private long extraWindow() {
        return config.initialReceiveWindow() - (long) YamuxConfig.SPEC_INITIAL_WINDOW;
    }

    private void register(YamuxStream s) {
        streams.put(s.id(), s);
        if (s.isOutbound()) {
            outboundStreams++;
        } else {
            inboundStreams++;
        }
        activeStreams = streams.size();
    }

    /** Forgets a stream that reached CLOSED/RESET; idempotent. */
    void removeStream(YamuxStream s) {
        s.releaseWindowCharge();
        if (streams.get(s.id()) != s) {
            return;
        }
        streams.remove(s.id());
        if (s.isOutbound()) {
            outboundStreams--;
            if (!s.acked()) {
                unacknowledged--;
            }
        } else {
            inboundStreams--;
        }
        activeStreams = streams.size();
        if (localGoAway && streams.isEmpty() && !closed) {
            closeWith(null);
        }
    }

    /** Removes a CLOSED stream once everything it received was delivered. */
    void maybeRemove(YamuxStream s) {
        if (s.isClosed() && !s.hasBufferedInbound()) {
            removeStream(s);
        }
    }

    /** Accounts bytes a stream keeps because its reader paused; resets the stream that breaks the limit. */
    void buffered(YamuxStream s, long n) {
        bufferedInbound += n;
        if (bufferedInbound > config.maxBufferedInboundBytes()) {
            s.resetLocally(new LimitExceededException("yamux.maxBufferedInboundBytes",
                    config.maxBufferedInboundBytes(), bufferedInbound));
        }
    }

    void unbuffered(long n) {
        bufferedInbound -= n;
    }

    /** Bytes held for paused readers right now (for tests and metrics). */
    long bufferedInboundBytes() {
        return bufferedInbound;
    }

    // ---- outbound path ----

    boolean isChannelWritable() {
        return channelWritable;
    }

    ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    /** Puts a stream with sendable bytes (or a pending FIN) in the round-robin queue. */
    void markReady(YamuxStream s) {
        if (closed || s.inReadyQueue || !s.hasSendable()) {
            return;
        }
        s.inReadyQueue = true;
        ready.add(s);
        scheduleFlush();
    }

    void writeRst(long id) {
        writeControl(YamuxHeader.windowUpdate(YamuxFlags.RST, id, 0));
    }

    /** Appends a control frame; it goes out before any later DATA frame and with the next flush. */
    void writeControl(YamuxHeader header) {
        if (closed || ctx == null) {
            return;
        }
        if (control == null) {
            control = ctx.alloc().buffer(8 * YamuxCodec.HEADER_LENGTH);
        }
        YamuxCodec.encode(header, control);
        flushNeeded = true;
        if (!channelWritable && !closing) {
            controlWhileBlocked += YamuxCodec.HEADER_LENGTH;
            if (controlWhileBlocked > config.maxControlBacklog()) {
                fail(new LimitExceededException("yamux.maxControlBacklog (the remote sends but does not read)",
                        config.maxControlBacklog(), controlWhileBlocked));
                return;
            }
        }
        scheduleFlush();
    }

    void writeData(YamuxHeader header, ByteBuf payload) {
        writeOutControl();
        int length = payload.readableBytes();
        ByteBuf frame;
        if (length <= COPY_THRESHOLD) {
            frame = ctx.alloc().buffer(YamuxCodec.HEADER_LENGTH + length);
            YamuxCodec.encode(header, frame);
            frame.writeBytes(payload);
            payload.release();
        } else {
            ByteBuf head = ctx.alloc().buffer(YamuxCodec.HEADER_LENGTH);
            YamuxCodec.encode(header, head);
            frame = ctx.alloc().compositeBuffer(2).addComponents(true, head, payload);
        }
        ctx.write(frame, ctx.voidPromise());
        flushNeeded = true;
    }

    private void writeOutControl() {
        if (control != null && control.isReadable()) {
            ByteBuf out = control;
            control = null;
            ctx.write(out, ctx.voidPromise());
        }
    }

    /** Coalesces: one drain-and-flush task per event-loop turn, however many frames were produced in it. */
    private void scheduleFlush() {
        if (flushScheduled || closed || ctx == null || (!flushNeeded && ready.isEmpty())) {
            return;
        }
        flushScheduled = true;
        ctx.executor().execute(() -> {
            flushScheduled = false;
            drain();
            flushNow();
        });
    }

    /** Round-robin, one frame per stream per turn, while the connection takes more. */
    private void drain() {
        if (draining || closed) {
            return;
        }
        draining = true;
        try {
            while (!ready.isEmpty() && ctx.channel().isWritable() && !closed) {
                YamuxStream s = ready.poll();
                s.inReadyQueue = false;
                if (s.emitFrame()) {
                    s.inReadyQueue = true;
                    ready.add(s);
                }
            }
        } finally {
            draining = false;
        }
    }

    private void flushNow() {
        if (ctx == null) {
            return;
        }
        writeOutControl();
        if (flushNeeded) {
            flushNeeded = false;
            ctx.flush();
        }
    }

    // ---- ping, go-away, close ----

    private void pingOnLoop(CompletableFuture<Duration> result) {
        if (closed) {
            result.completeExceptionally(new TransportException("yamux session is closed"));
            return;
        }
        long id = nextPingId;
        nextPingId = (nextPingId + 1) & YamuxHeader.MAX_UINT32;
        PendingPing p = new PendingPing(result, nanoClock.getAsLong());
        pings.put(id, p);
        p.timeout = ctx.executor().schedule(() -> {
            if (pings.remove(id) != null) {
                result.completeExceptionally(new TransportException("yamux ping not answered within "
                        + config.pingTimeout().toMillis() + " ms (yamux.pingTimeout)"));
            }
        }, config.pingTimeout().toNanos(), TimeUnit.NANOSECONDS);
        writeControl(YamuxHeader.ping(YamuxFlags.SYN, id));
    }

    private void goAwayOnLoop() {
        if (closed || localGoAway) {
            return;
        }
        localGoAway = true;
        writeControl(YamuxHeader.goAway(GoAwayCode.NORMAL));
        if (streams.isEmpty()) {
            closeWith(null);
            return;
        }
        if (!config.goAwayTimeout().isZero()) {
            goAwayTimer = ctx.executor().schedule(() -> closeWith(null),
                    config.goAwayTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** The remote broke the protocol or the connection failed: one log line, then close with the cause. */
    private void fail(Libp2pException cause) {
        if (closed || closing) {
            return;
        }
        LOG.atWarn().addKeyValue("remote", remoteAddress()).addKeyValue("error", cause.getClass().getSimpleName())
                .log("yamux session closed: {}", cause.getMessage());
        closeWith(cause);
    }

    /** Sends GO_AWAY (unless already sent for a normal close), resets all streams, closes the connection. */
    private void closeWith(Libp2pException cause) {
        if (closed || closing || ctx == null) {
            return;
        }
        closing = true;
        if (cause != null || !localGoAway) {
            localGoAway = true;
            writeControl(YamuxHeader.goAway(GoAwayCode.forCause(cause)));
        }
        flushNow();
        TransportException streamCause = cause == null
                ? new TransportException("yamux session closed")
                : new TransportException("yamux session closed: " + cause.getMessage(), cause);
        shutDown(streamCause, true);
        if (cause != null) {
            ctx.fireExceptionCaught(cause);
        }
        ctx.close();
    }

    private void shutDown(TransportException streamCause, boolean local) {
        closed = true;
        cancel(stallTimer);
        cancel(goAwayTimer);
        ready.clear();
        dataTarget = null;
        List<YamuxStream> all = new ArrayList<>(streams.values());
        for (YamuxStream s : all) {
            s.onSessionClosed(streamCause);
        }
        streams.clear();
        activeStreams = 0;
        for (PendingPing p : pings.values()) {
            cancel(p.timeout);
            p.result.completeExceptionally(streamCause);
        }
        pings.clear();
        releaseControl();
        if (closePromise != null) {
            closePromise.trySuccess(null);
        }
    }

    private void releaseControl() {
        if (control != null) {
            control.release();
            control = null;
        }
    }

    private static void cancel(ScheduledFuture<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }

    // ---- threading ----

    /** Runs {@code task} on the event loop (now, when already there); false when the loop cannot take it. */
    boolean runOnLoop(Runnable task) {
        ChannelHandlerContext c = ctx;
        if (c == null) {
            return false;
        }
        if (c.executor().inEventLoop()) {
            task.run();
            return true;
        }
        try {
            c.executor().execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    SocketAddress remoteAddress() {
        ChannelHandlerContext c = ctx;
        return c == null ? null : c.channel().remoteAddress();
    }

    private static final class PendingPing {
        final CompletableFuture<Duration> result;
        final long startNanos;
        ScheduledFuture<?> timeout;

        PendingPing(CompletableFuture<Duration> result, long startNanos) {
            this.result = result;
            this.startNanos = startNanos;
        }
    }
}
