package dev.edgelink.relay.wire;

import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.encoding.Varint;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a byte stream into unsigned-varint length-prefixed messages, the framing of AutoNAT, DCUtR and the
 * circuit relay protocols:
 *
 * <pre>
 *   +-----------------+---------------------------+
 *   | length (uvarint) | message (length bytes)   |  ... repeated
 *   +-----------------+---------------------------+
 * </pre>
 *
 * Pure: no I/O. A length above the limit throws {@link LimitExceededException} as soon as the prefix is read,
 * before the body arrives; a malformed varint throws {@code ProtocolViolationException}. After a throw the
 * decoder is spent. Not thread-safe: feed it from one event loop.
 */
public final class FrameDecoder implements AutoCloseable {

    private final int maxMessage;
    private final CompositeByteBuf pending = ByteBufAllocator.DEFAULT.compositeBuffer(Integer.MAX_VALUE);
    private long expected = -1;

    public FrameDecoder(int maxMessage) {
        if (maxMessage <= 0) {
            throw new IllegalArgumentException("maxMessage must be positive: " + maxMessage);
        }
        this.maxMessage = maxMessage;
    }

    /** Takes ownership of {@code data}; returns the messages it completed, in order (possibly none). */
    public List<byte[]> feed(ByteBuf data) {
        pending.addComponent(true, data);
        List<byte[]> out = new ArrayList<>(1);
        while (true) {
            if (expected < 0) {
                long length = Varint.read(pending);
                if (length == Varint.INCOMPLETE) {
                    break;
                }
                if (length > maxMessage) {
                    throw new LimitExceededException("message size", maxMessage, length);
                }
                expected = length;
            }
            if (pending.readableBytes() < expected) {
                break;
            }
            byte[] message = new byte[(int) expected];
            pending.readBytes(message);
            expected = -1;
            out.add(message);
        }
        pending.discardReadComponents();
        return out;
    }

    /** Bytes received that belong to a message not complete yet. */
    public int buffered() {
        return pending.readableBytes();
    }

    @Override
    public void close() {
        pending.release();
    }

    /** Frames one message: its length as an unsigned varint, then the bytes. */
    public static ByteBuf frame(byte[] message) {
        ByteBuf out = ByteBufAllocator.DEFAULT.buffer(Varint.encodedLength(message.length) + message.length);
        Varint.write(message.length, out);
        out.writeBytes(message);
        return out;
    }
}
