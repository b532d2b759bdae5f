package dev.edgelink.libp2p.host;

import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;

/** Small building blocks for protocols on streams: read to the end, send a bulk of bytes with back-pressure. */
public final class Streams {

    private Streams() {
    }

    /**
     * Collects everything the remote sends until it half-closes. Fails with a LimitExceededException (and resets
     * the stream) past {@code maxBytes}. The caller owns the returned buffer.
     */
    public static CompletableFuture<ByteBuf> readToEnd(MuxedStream stream, int maxBytes) {
        CompletableFuture<ByteBuf> result = new CompletableFuture<>();
        CompositeByteBuf collected = ByteBufAllocator.DEFAULT.compositeBuffer(Integer.MAX_VALUE);
        stream.setListener(new StreamListener() {
            @Override
            public void onData(MuxedStream s, ByteBuf data) {
                if (result.isDone()) {
                    data.release();
                    return;
                }
                collected.addComponent(true, data);
                int size = collected.readableBytes();
                if (size > maxBytes) {
                    collected.release();
                    s.reset();
                    result.completeExceptionally(new LimitExceededException("message size on " + s, maxBytes, size));
                }
            }

            @Override
            public void onRemoteClose(MuxedStream s) {
                if (!result.isDone()) {
                    result.complete(collected);
                }
            }

            @Override
            public void onReset(MuxedStream s, Libp2pException cause) {
                if (!result.isDone()) {
                    collected.release();
                    result.completeExceptionally(cause);
                }
            }
        });
        return result;
    }

    /**
     * Writes {@code total} bytes produced by {@code chunks} (asked for at most the given size each time) while the
     * stream is writable, continuing whenever it becomes writable again. Completes when everything is queued.
     * Installs a listener that forwards inbound events to {@code inbound}.
     */
    public static CompletableFuture<Void> sendBulk(MuxedStream stream, long total, IntFunction<ByteBuf> chunks,
            int chunkSize, StreamListener inbound) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        BulkSender sender = new BulkSender(total, chunks, chunkSize, inbound, done);
        stream.eventLoop().execute(() -> {
            stream.setListener(sender);
            sender.pump(stream);
        });
        return done;
    }

    private static final class BulkSender implements StreamListener {
        private final IntFunction<ByteBuf> chunks;
        private final int chunkSize;
        private final StreamListener inbound;
        private final CompletableFuture<Void> done;
        private long remaining;

        BulkSender(long total, IntFunction<ByteBuf> chunks, int chunkSize, StreamListener inbound,
                CompletableFuture<Void> done) {
            this.remaining = total;
            this.chunks = chunks;
            this.chunkSize = chunkSize;
            this.inbound = inbound;
            this.done = done;
        }

        void pump(MuxedStream stream) {
            while (remaining > 0 && stream.isWritable() && !stream.isClosed()) {
                int size = (int) Math.min(chunkSize, remaining);
                stream.write(chunks.apply(size));
                remaining -= size;
            }
            if (remaining == 0 && !done.isDone()) {
                done.complete(null);
            }
        }

        @Override
        public void onData(MuxedStream stream, ByteBuf data) {
            inbound.onData(stream, data);
        }

        @Override
        public void onRemoteClose(MuxedStream stream) {
            inbound.onRemoteClose(stream);
        }

        @Override
        public void onReset(MuxedStream stream, Libp2pException cause) {
            if (!done.isDone()) {
                done.completeExceptionally(cause != null ? cause : new TransportException("stream reset"));
            }
            inbound.onReset(stream, cause);
        }

        @Override
        public void onWritabilityChanged(MuxedStream stream) {
            pump(stream);
            inbound.onWritabilityChanged(stream);
        }
    }
}
