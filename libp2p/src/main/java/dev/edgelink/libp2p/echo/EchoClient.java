package dev.edgelink.libp2p.echo;

import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.host.Stream;
import dev.edgelink.libp2p.host.Streams;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.concurrent.CompletableFuture;

/**
 * Sends a payload on an {@code /echo/1.0.0} stream, half-closes, and checks that exactly the same bytes come back
 * before the remote half-closes. Compares as bytes arrive, so it holds only the payload itself.
 */
public final class EchoClient {

    /** Bytes handed to the stream per write. */
    static final int CHUNK = 64 * 1024;

    private EchoClient() {
    }

    /** Completes with the number of bytes echoed, or fails saying where the echo differed. */
    public static CompletableFuture<Long> run(Stream stream, byte[] payload) {
        CompletableFuture<Long> result = new CompletableFuture<>();
        Verifier verifier = new Verifier(payload, result);
        int[] offset = {0};
        Streams.sendBulk(stream, payload.length, size -> {
            ByteBuf chunk = Unpooled.wrappedBuffer(payload, offset[0], size);
            offset[0] += size;
            return chunk;
        }, CHUNK, verifier).whenComplete((v, error) -> {
            if (error == null) {
                stream.closeWrite();
            } else {
                result.completeExceptionally(error);
            }
        });
        return result;
    }

    private static final class Verifier implements StreamListener {
        private final byte[] expected;
        private final CompletableFuture<Long> result;
        private int position;

        Verifier(byte[] expected, CompletableFuture<Long> result) {
            this.expected = expected;
            this.result = result;
        }

        @Override
        public void onData(MuxedStream stream, ByteBuf data) {
            try {
                int n = data.readableBytes();
                if (position + n > expected.length) {
                    fail(stream, "echo returned more bytes than were sent: " + (position + n));
                    return;
                }
                for (int i = 0; i < n; i++) {
                    if (data.getByte(data.readerIndex() + i) != expected[position + i]) {
                        fail(stream, "echo differs at byte " + (position + i));
                        return;
                    }
                }
                position += n;
            } finally {
                data.release();
            }
        }

        @Override
        public void onRemoteClose(MuxedStream stream) {
            if (position == expected.length) {
                result.complete((long) position);
            } else {
                result.completeExceptionally(new ProtocolViolationException("echo ended after " + position
                        + " of " + expected.length + " bytes"));
            }
        }

        @Override
        public void onReset(MuxedStream stream, Libp2pException cause) {
            result.completeExceptionally(cause);
        }

        private void fail(MuxedStream stream, String why) {
            stream.reset();
            result.completeExceptionally(new ProtocolViolationException(why));
        }
    }
}
