package dev.edgelink.libp2p.bench;

import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.Stream;
import dev.edgelink.libp2p.host.Streams;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntFunction;

/**
 * {@code /edgelink/bench/1.0.0}, a one-way throughput probe: the dialer sends N bytes and half-closes; the listener
 * counts what arrives until the half-close and answers with the count as an 8-byte big-endian integer, then
 * half-closes too. The js interop peer speaks the same protocol, so Java-to-js is measured the same way.
 */
public final class BenchProtocol {

    public static final String PROTOCOL = "/edgelink/bench/1.0.0";
    static final int CHUNK = 64 * 1024;

    private BenchProtocol() {
    }

    public static void register(Host host) {
        host.setHandler(PROTOCOL, BenchProtocol::serve);
    }

    static void serve(Stream stream) {
        stream.setListener(new StreamListener() {
            private long count;

            @Override
            public void onData(MuxedStream s, ByteBuf data) {
                count += data.readableBytes();
                data.release();
            }

            @Override
            public void onRemoteClose(MuxedStream s) {
                s.write(Unpooled.buffer(8).writeLong(count));
                s.closeWrite();
            }
        });
    }

    /** Sends {@code bytes} and completes with the elapsed nanoseconds once the remote confirmed the count. */
    public static CompletableFuture<Long> send(Stream stream, long bytes) {
        byte[] block = new byte[CHUNK];
        ThreadLocalRandom.current().nextBytes(block);
        CompletableFuture<Long> result = new CompletableFuture<>();
        long start = System.nanoTime();
        StreamListener reply = new StreamListener() {
            private final ByteBuf answer = Unpooled.buffer(8);

            @Override
            public void onData(MuxedStream s, ByteBuf data) {
                answer.writeBytes(data, Math.min(data.readableBytes(), answer.writableBytes()));
                data.release();
            }

            @Override
            public void onRemoteClose(MuxedStream s) {
                if (answer.readableBytes() != 8 || answer.getLong(0) != bytes) {
                    result.completeExceptionally(new ProtocolViolationException("bench: remote counted "
                            + (answer.readableBytes() == 8 ? answer.getLong(0) : -1) + " of " + bytes + " bytes"));
                } else {
                    result.complete(System.nanoTime() - start);
                }
            }

            @Override
            public void onReset(MuxedStream s, Libp2pException cause) {
                result.completeExceptionally(cause != null ? cause : new TransportException("bench: stream reset"));
            }
        };
        IntFunction<ByteBuf> chunks =
                size -> PooledByteBufAllocator.DEFAULT.directBuffer(size).writeBytes(block, 0, size);
        Streams.sendBulk(stream, bytes, chunks, CHUNK, reply)
                .whenComplete((v, error) -> {
                    if (error == null) {
                        stream.closeWrite();
                    } else {
                        result.completeExceptionally(error);
                    }
                });
        return result;
    }
}
