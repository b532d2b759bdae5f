package dev.edgelink.libp2p.noise;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.InternalException;
import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.peer.PeerId;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.PendingWriteQueue;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the libp2p Noise handshake on a channel, right after multistream-select chose {@code /noise}, then replaces
 * itself with a {@link NoiseTransportCodec} and fires {@link NoiseSecured}.
 *
 * <pre>
 *  handshake message on the wire:
 *  +-------------------------------+-----------------------------------------------+
 *  |  noise_message_len (u16, BE)  |  Noise handshake message (noise_message_len)  |
 *  +-------------------------------+-----------------------------------------------+
 * </pre>
 *
 * <p>Contract: on success the order of events above this handler is {@link NoiseSecured}, then any plaintext that
 * arrived in the same read as the last handshake message; writes made from above during the handshake are held and
 * sent encrypted after it. On failure (bad message, bad signature, wrong peer, message over {@code maxMessageSize},
 * timeout, remote close) it logs one line, fires {@code exceptionCaught} with the {@link Libp2pException} and closes
 * the channel; held writes fail with the same exception.
 */
public final class NoiseHandshakeHandler extends ChannelDuplexHandler {

    /** Default and largest handshake message (the length prefix is 16 bits). */
    public static final int DEFAULT_MAX_MESSAGE_SIZE = NoiseTransportCodec.MAX_FRAME_LENGTH;
    /** Default time for the whole handshake. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    /** Name of the transport codec that replaces this handler. */
    public static final String TRANSPORT_CODEC_NAME = "noise-transport";

    private static final Logger LOG = LoggerFactory.getLogger(NoiseHandshakeHandler.class);
    private static final int LENGTH_PREFIX = 2;

    private final NoiseHandshake handshake;
    private final Duration timeout;
    private final ScheduledExecutorService scheduler;
    private final int maxMessageSize;
    private ByteBuf received;
    private PendingWriteQueue heldWrites;
    private ScheduledFuture<?> timeoutTask;
    private boolean started;
    private boolean done;

    /**
     * @param identity       our identity key, signs our Noise static key
     * @param role           initiator when we dialed
     * @param expectedRemote the peer we dialed, or null to accept whoever authenticates
     * @param localMuxers    stream muxers we offer in the handshake (our preference order); empty for none
     * @param timeout        for the whole handshake
     * @param scheduler      runs the timeout; null for the channel's event loop
     * @param maxMessageSize largest handshake message accepted, 1..65535
     */
    public NoiseHandshakeHandler(PrivKey identity, NoiseHandshake.Role role, PeerId expectedRemote,
                                 List<String> localMuxers, Duration timeout, ScheduledExecutorService scheduler,
                                 int maxMessageSize) {
        this(new NoiseHandshake(role, identity, expectedRemote, localMuxers), timeout, scheduler, maxMessageSize);
    }

    /** Runs a prepared handshake (e.g. with fixed keys). */
    public NoiseHandshakeHandler(NoiseHandshake handshake, Duration timeout, ScheduledExecutorService scheduler,
                                 int maxMessageSize) {
        if (maxMessageSize < 1 || maxMessageSize > DEFAULT_MAX_MESSAGE_SIZE) {
            throw new ConfigurationException("noise: max handshake message size must be 1.."
                + DEFAULT_MAX_MESSAGE_SIZE + ", got " + maxMessageSize);
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new ConfigurationException("noise: handshake timeout must be positive, got " + timeout);
        }
        if (handshake.state() != NoiseHandshake.State.initial(handshake.role())) {
            throw new InternalException("noise: handshake already used, in state " + handshake.state());
        }
        this.handshake = handshake;
        this.timeout = timeout;
        this.scheduler = scheduler;
        this.maxMessageSize = maxMessageSize;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        heldWrites = new PendingWriteQueue(ctx);
        received = ctx.alloc().buffer();
        if (ctx.channel().isActive()) {
            start(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        start(ctx);
        super.channelActive(ctx);
    }

    private void start(ChannelHandlerContext ctx) {
        if (started) {
            return;
        }
        started = true;
        long nanos = timeout.toNanos();
        if (scheduler == null || scheduler == ctx.executor()) {
            timeoutTask = ctx.executor().schedule(() -> onTimeout(ctx), nanos, TimeUnit.NANOSECONDS);
        } else {
            timeoutTask = scheduler.schedule(() -> ctx.executor().execute(() -> onTimeout(ctx)), nanos,
                TimeUnit.NANOSECONDS);
        }
        if (handshake.state() == NoiseHandshake.State.SEND_MESSAGE_1) {
            step(ctx);
        }
    }

    private void onTimeout(ChannelHandlerContext ctx) {
        if (!done) {
            fail(ctx, new TransportException("noise: handshake did not finish within " + timeout.toMillis()
                + " ms (stuck in " + handshake.state() + ")"));
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (!done) {
                received.writeBytes(in);
            }
        } finally {
            in.release();
        }
        try {
            step(ctx);
        } catch (Libp2pException e) {
            fail(ctx, e);
        }
    }

    /** Sends and reads handshake messages for as long as there is something to do; finishes when complete. */
    private void step(ChannelHandlerContext ctx) {
        while (!done) {
            NoiseHandshake.State state = handshake.state();
            if (state == NoiseHandshake.State.COMPLETE) {
                succeed(ctx);
                return;
            }
            if (state.isSend()) {
                byte[] message = handshake.writeMessage();
                ByteBuf frame = ctx.alloc().buffer(LENGTH_PREFIX + message.length);
                frame.writeShort(message.length).writeBytes(message);
                ctx.writeAndFlush(frame).addListener(f -> {
                    if (!f.isSuccess() && !done) {
                        fail(ctx, new TransportException("noise: sending handshake message failed", f.cause()));
                    }
                });
                continue;
            }
            byte[] message = nextMessage();
            if (message == null) {
                return;
            }
            handshake.readMessage(message);
        }
    }

    /** The next complete handshake message from {@link #received}, or null if more bytes are needed. */
    private byte[] nextMessage() {
        if (received.readableBytes() < LENGTH_PREFIX) {
            return null;
        }
        int len = received.getUnsignedShort(received.readerIndex());
        if (len > maxMessageSize) {
            throw new LimitExceededException("noise handshake message size", maxMessageSize, len);
        }
        if (received.readableBytes() < LENGTH_PREFIX + len) {
            return null;
        }
        received.skipBytes(LENGTH_PREFIX);
        byte[] message = new byte[len];
        received.readBytes(message);
        return message;
    }

    private void succeed(ChannelHandlerContext ctx) {
        done = true;
        cancelTimeout();
        NoiseSession session = handshake.session();
        ByteBuf leftover = received;
        received = null;
        NoiseTransportCodec codec = new NoiseTransportCodec(session.sender(), session.receiver(),
            session.remotePeer().toString());
        // After replace() this context forwards to the codec in both directions (netty re-links a replaced
        // context to its replacement), so held writes and leftover bytes go through the codec.
        ctx.pipeline().replace(this, TRANSPORT_CODEC_NAME, codec);
        LOG.debug("Noise handshake complete peer={} remote={} muxer={}", session.remotePeer(),
            ctx.channel().remoteAddress(), session.chosenMuxer());
        ctx.fireUserEventTriggered(new NoiseSecured(session.remotePeer(), session.remoteKey(),
            session.remoteMuxers(), session.chosenMuxer()));
        if (!heldWrites.isEmpty()) {
            heldWrites.removeAndWriteAll();
            ctx.flush();
        }
        if (leftover.isReadable()) {
            ctx.fireChannelRead(leftover);
            ctx.fireChannelReadComplete();
        } else {
            leftover.release();
        }
    }

    private void fail(ChannelHandlerContext ctx, Libp2pException cause) {
        if (done) {
            return;
        }
        done = true;
        cancelTimeout();
        // DEBUG: the exception goes down the pipeline, and the connection's owner writes the one WARN line for it.
        LOG.debug("Noise handshake failed: {} peer={} remote={}", cause.getMessage(),
            expectedPeerLabel(), ctx.channel().remoteAddress());
        releaseResources(cause);
        ctx.fireExceptionCaught(cause);
        ctx.close();
    }

    private String expectedPeerLabel() {
        PeerId expected = handshake.expectedRemote();
        return expected != null ? expected.toString() : "unknown";
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (done) {
            // Only after a failure: success replaces this handler before anything else can be written.
            ReferenceCountUtil.release(msg);
            promise.setFailure(new TransportException("noise: handshake failed; write discarded"));
            return;
        }
        heldWrites.add(msg, promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        // Held until the handshake completes; our own handshake frames are flushed explicitly.
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (!done) {
            fail(ctx, new TransportException("noise: connection closed during the handshake (in "
                + handshake.state() + ")"));
        }
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimeout();
        if (!done) {
            releaseResources(new InternalException("noise: handshake handler removed before the handshake ended"));
        }
    }

    private void releaseResources(Throwable cause) {
        if (received != null) {
            received.release();
            received = null;
        }
        if (heldWrites != null) {
            heldWrites.removeAndFailAll(cause);
        }
    }

    private void cancelTimeout() {
        if (timeoutTask != null) {
            timeoutTask.cancel(false);
            timeoutTask = null;
        }
    }
}
