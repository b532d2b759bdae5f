package dev.edgelink.libp2p.noise;

import dev.edgelink.libp2p.InternalException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.TransportException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.CoalescingBufferQueue;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Noise transport phase on a channel: plaintext {@link ByteBuf}s in and out above, length-prefixed ChaChaPoly
 * frames below.
 *
 * <pre>
 *  frame on the wire:
 *   0                   1                   2
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 ...
 *  +-------------------------------+-------------------------------------------+----------------+
 *  |  noise_message_len (u16, BE)  |  ChaCha20 ciphertext (len - 16 bytes)      | Poly1305 (16)  |
 *  +-------------------------------+-------------------------------------------+----------------+
 *  len &lt;= 65535, so at most 65519 plaintext bytes per frame; nonce = frame counter per direction.
 * </pre>
 *
 * <p>Inbound: complete frames are decrypted straight out of each read; only a frame split across reads is copied,
 * once, into a buffer of exactly its size, so a 64 KiB frame arriving in 1 KiB reads costs one copy, not 64. Each
 * frame becomes one plaintext {@code ByteBuf} (empty frames are dropped). A frame that does not authenticate is a
 * {@link ProtocolViolationException}: it is fired as {@code exceptionCaught}, the channel is closed and nothing
 * after it is read.
 *
 * <p>Outbound: plaintext writes are queued until {@code flush()}, then cut into frames of at most 65519 plaintext
 * bytes, so many small writes cost one frame and one tag. Each write's promise completes when the frame carrying its
 * last byte is written. Only {@code ByteBuf}s may be written.
 *
 * <p>Frames and plaintexts are allocated as the cipher prefers ({@link CipherState#prefersDirectBuffers()}): heap
 * arrays for the JDK cipher, direct buffers for OpenSSL, which then encrypts straight into the frame the socket
 * writes and decrypts straight out of the buffer the socket read into.
 *
 * <p>The codec owns its two cipher states and closes them when it leaves the pipeline (which includes the channel
 * closing), so a closed connection holds no native cipher memory.
 */
public final class NoiseTransportCodec extends ChannelDuplexHandler {

    /** Largest Noise message, and so largest frame payload (the length prefix is 16 bits). */
    public static final int MAX_FRAME_LENGTH = 65535;
    /** Largest plaintext per frame: {@link #MAX_FRAME_LENGTH} minus the tag. */
    public static final int MAX_PLAINTEXT_LENGTH = MAX_FRAME_LENGTH - CipherState.TAG_LENGTH;

    private static final Logger LOG = LoggerFactory.getLogger(NoiseTransportCodec.class);
    private static final int LENGTH_PREFIX = 2;

    private final CipherState sender;
    private final CipherState receiver;
    private final String peer;
    private CoalescingBufferQueue pending;
    /** A frame split across reads: length prefix plus as much of the frame as arrived, or null. */
    private ByteBuf partial;
    private boolean failed;

    /**
     * @param sender   the transport cipher state for what we send
     * @param receiver the transport cipher state for what we receive
     * @param peer     the remote peer, for log lines ({@code peer=}); may be null
     */
    public NoiseTransportCodec(CipherState sender, CipherState receiver, String peer) {
        if (!sender.hasKey() || !receiver.hasKey()) {
            throw new InternalException("noise: transport codec needs keyed cipher states");
        }
        this.sender = sender;
        this.receiver = receiver;
        this.peer = peer;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        pending = new CoalescingBufferQueue(ctx.channel(), 4, true);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseAll(new InternalException("noise: transport codec removed from the pipeline"));
        sender.close();
        receiver.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        releaseAll(new ClosedChannelWriteException());
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (failed) {
                return;
            }
            decodeFrames(ctx, in);
        } catch (ProtocolViolationException e) {
            fail(ctx, e);
        } finally {
            in.release();
        }
    }

    private void decodeFrames(ChannelHandlerContext ctx, ByteBuf in) {
        if (partial != null && !completePartial(ctx, in)) {
            return;
        }
        while (!failed && in.readableBytes() >= LENGTH_PREFIX) {
            int len = in.getUnsignedShort(in.readerIndex());
            if (in.readableBytes() < LENGTH_PREFIX + len) {
                break;
            }
            in.skipBytes(LENGTH_PREFIX);
            decryptFrame(ctx, in, len);
        }
        if (!failed && in.isReadable()) {
            int len = in.readableBytes() >= LENGTH_PREFIX ? in.getUnsignedShort(in.readerIndex()) : MAX_FRAME_LENGTH;
            partial = allocate(ctx, receiver, LENGTH_PREFIX + len);
            partial.writeBytes(in);
        }
    }

    /** Moves bytes from {@code in} into the split frame; decrypts it when whole. False if still incomplete. */
    private boolean completePartial(ChannelHandlerContext ctx, ByteBuf in) {
        if (partial.readableBytes() < LENGTH_PREFIX) {
            partial.writeBytes(in, Math.min(LENGTH_PREFIX - partial.readableBytes(), in.readableBytes()));
            if (partial.readableBytes() < LENGTH_PREFIX) {
                return false;
            }
        }
        int len = partial.getUnsignedShort(partial.readerIndex());
        int missing = LENGTH_PREFIX + len - partial.readableBytes();
        int take = Math.min(missing, in.readableBytes());
        partial.writeBytes(in, take);
        if (take < missing) {
            return false;
        }
        ByteBuf frame = partial;
        partial = null;
        try {
            frame.skipBytes(LENGTH_PREFIX);
            decryptFrame(ctx, frame, len);
        } finally {
            frame.release();
        }
        return true;
    }

    /** Decrypts the {@code len} bytes at {@code in}'s reader index and fires the plaintext. */
    private void decryptFrame(ChannelHandlerContext ctx, ByteBuf in, int len) {
        int index = in.readerIndex();
        in.skipBytes(len);
        if (len < CipherState.TAG_LENGTH) {
            throw new ProtocolViolationException("noise: transport frame of " + len
                + " bytes is shorter than the 16-byte authentication tag");
        }
        ByteBuf plain = allocate(ctx, receiver, len - CipherState.TAG_LENGTH);
        try {
            int n = receiver.decrypt(in, index, len, plain, plain.writerIndex());
            plain.writerIndex(plain.writerIndex() + n);
        } catch (RuntimeException e) {
            plain.release();
            throw e;
        }
        if (plain.isReadable()) {
            ctx.fireChannelRead(plain);
        } else {
            plain.release();
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(msg);
            promise.setFailure(new InternalException("noise: only ByteBuf can be written to a Noise channel, got "
                + (msg == null ? "null" : msg.getClass().getName())));
            return;
        }
        if (failed || pending == null) {
            buf.release();
            promise.setFailure(new ClosedChannelWriteException());
            return;
        }
        pending.add(buf, promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        while (pending != null && !pending.isEmpty()) {
            ChannelPromise framePromise = ctx.newPromise();
            ByteBuf chunk = pending.remove(MAX_PLAINTEXT_LENGTH, framePromise);
            ByteBuf frame;
            try {
                frame = encryptFrame(ctx, chunk);
            } finally {
                chunk.release();
            }
            ctx.write(frame, framePromise);
        }
        ctx.flush();
    }

    private ByteBuf encryptFrame(ChannelHandlerContext ctx, ByteBuf chunk) {
        int len = chunk.readableBytes();
        int cipherLen = len + CipherState.TAG_LENGTH;
        ByteBuf frame = allocate(ctx, sender, LENGTH_PREFIX + cipherLen);
        try {
            frame.writeShort(cipherLen);
            sender.encrypt(chunk, chunk.readerIndex(), len, frame, frame.writerIndex());
            frame.writerIndex(frame.writerIndex() + cipherLen);
            return frame;
        } catch (RuntimeException e) {
            frame.release();
            throw e;
        }
    }

    private static ByteBuf allocate(ChannelHandlerContext ctx, CipherState cipher, int capacity) {
        return cipher.prefersDirectBuffers() ? ctx.alloc().directBuffer(capacity) : ctx.alloc().heapBuffer(capacity);
    }

    private void fail(ChannelHandlerContext ctx, ProtocolViolationException e) {
        failed = true;
        LOG.warn("Noise transport failed, closing connection: {} peer={} remote={}",
            e.getMessage(), peer, ctx.channel().remoteAddress());
        releaseAll(e);
        ctx.fireExceptionCaught(e);
        ctx.close();
    }

    private void releaseAll(Throwable cause) {
        if (partial != null) {
            partial.release();
            partial = null;
        }
        if (pending != null) {
            pending.releaseAndFailAll(cause);
        }
    }

    /** A write on a Noise channel that has failed or closed. */
    static final class ClosedChannelWriteException extends TransportException {
        private static final long serialVersionUID = 1L;

        ClosedChannelWriteException() {
            super("noise: channel is closed or failed; write discarded");
        }
    }
}
