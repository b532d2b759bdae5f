package dev.edgelink.libp2p.pnet;

import dev.edgelink.libp2p.InternalException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import java.security.SecureRandom;
import org.bouncycastle.crypto.StreamCipher;
import org.bouncycastle.crypto.engines.XSalsa20Engine;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * The libp2p private network layer (pnet PSK v1): every byte of the connection, in both directions, is XORed with
 * an XSalsa20 keystream keyed by the swarm key. It goes first in a TCP channel's pipeline, below multistream-select
 * and Noise, so a peer without the key cannot even complete the first protocol negotiation.
 *
 * <pre>
 *  each direction, from its first byte:
 *  +------------------------+-------------------------------------------------------+
 *  | nonce (24 random B)    | data XOR XSalsa20(key = PSK, nonce = that nonce)      |
 *  +------------------------+-------------------------------------------------------+
 *  we send our nonce as soon as the channel is active and encrypt with it;
 *  we decrypt what we receive with the remote's nonce, the first 24 bytes it sends.
 * </pre>
 *
 * <p>Design: the two directions are independent streams, so writes never wait for the remote's nonce. Our nonce is
 * written before any other byte (on activation, or on the first write if that comes first), so writes keep their
 * order and are encrypted as they pass. Inbound bytes before the remote nonce is complete are collected into a
 * 24-byte array (they may arrive in any number of pieces); bytes after it in the same buffer are decrypted at once.
 * There is no handshake to fail: with a different key the upper layers simply see noise and close the connection.
 *
 * <p>Buffers: each outbound and inbound buffer is released after its bytes are copied into a new buffer from the
 * channel's allocator; a caller's buffer is never modified, since it may be shared or read-only. Not sharable: the
 * cipher state belongs to one connection.
 */
public final class PnetHandler extends ChannelDuplexHandler {

    /** Nonce length of XSalsa20, sent by each side before its data. */
    public static final int NONCE_BYTES = 24;
    /** Bytes processed per cipher call when a buffer has no accessible array. */
    private static final int CHUNK = 8192;

    private final byte[] key;
    private final byte[] localNonce;
    private final byte[] remoteNonce = new byte[NONCE_BYTES];
    private final StreamCipher outbound;
    private StreamCipher inbound;
    private int remoteNonceBytes;
    private boolean nonceSent;
    private byte[] scratch;

    /** A handler with a fresh nonce from a new {@link SecureRandom}. */
    public PnetHandler(SwarmKey psk) {
        this(psk, new SecureRandom());
    }

    /** A handler with a fresh random nonce from {@code random}. */
    public PnetHandler(SwarmKey psk, SecureRandom random) {
        this(psk, randomNonce(random));
    }

    /** A handler with a given nonce: for known-answer tests only, a nonce must never be reused with one key. */
    PnetHandler(SwarmKey psk, byte[] localNonce) {
        if (localNonce.length != NONCE_BYTES) {
            throw new IllegalArgumentException("nonce must be " + NONCE_BYTES + " bytes");
        }
        this.key = psk.key();
        this.localNonce = localNonce.clone();
        this.outbound = cipher(key, this.localNonce);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        // Added to a channel that is already active: channelActive will not come, so send the nonce now.
        if (ctx.channel().isActive()) {
            sendNonce(ctx);
            ctx.flush();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        sendNonce(ctx);
        ctx.flush();
        ctx.fireChannelActive();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf in)) {
            ReferenceCountUtil.release(msg);
            promise.setFailure(new InternalException("pnet can only encrypt ByteBuf, got " + msg.getClass()));
            return;
        }
        sendNonce(ctx);
        ByteBuf out;
        try {
            out = transform(ctx, outbound, in);
        } finally {
            in.release();
        }
        ctx.write(out, promise);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf out = null;
        try {
            if (inbound == null) {
                int take = Math.min(NONCE_BYTES - remoteNonceBytes, in.readableBytes());
                in.readBytes(remoteNonce, remoteNonceBytes, take);
                remoteNonceBytes += take;
                if (remoteNonceBytes < NONCE_BYTES) {
                    return;
                }
                inbound = cipher(key, remoteNonce);
            }
            if (in.isReadable()) {
                out = transform(ctx, inbound, in);
            }
        } finally {
            in.release();
        }
        if (out != null) {
            ctx.fireChannelRead(out);
        }
    }

    private void sendNonce(ChannelHandlerContext ctx) {
        if (!nonceSent) {
            nonceSent = true;
            ctx.write(Unpooled.wrappedBuffer(localNonce.clone()))
                    .addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
        }
    }

    /** The readable bytes of {@code in}, XORed with the cipher's next keystream bytes, in a new buffer. */
    private ByteBuf transform(ChannelHandlerContext ctx, StreamCipher cipher, ByteBuf in) {
        int length = in.readableBytes();
        ByteBuf out = ctx.alloc().buffer(length);
        try {
            if (in.hasArray() && out.hasArray()) {
                cipher.processBytes(in.array(), in.arrayOffset() + in.readerIndex(), length,
                        out.array(), out.arrayOffset() + out.writerIndex());
                out.writerIndex(out.writerIndex() + length);
                in.skipBytes(length);
                return out;
            }
            if (scratch == null) {
                scratch = new byte[CHUNK];
            }
            while (in.isReadable()) {
                int n = Math.min(CHUNK, in.readableBytes());
                in.readBytes(scratch, 0, n);
                cipher.processBytes(scratch, 0, n, scratch, 0);
                out.writeBytes(scratch, 0, n);
            }
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }

    private static StreamCipher cipher(byte[] key, byte[] nonce) {
        XSalsa20Engine engine = new XSalsa20Engine();
        engine.init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        return engine;
    }

    private static byte[] randomNonce(SecureRandom random) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        return nonce;
    }
}
