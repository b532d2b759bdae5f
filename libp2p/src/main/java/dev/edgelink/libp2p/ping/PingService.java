package dev.edgelink.libp2p.ping;

import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.Stream;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * ping 1.0.0: the dialer sends 32 random bytes, the listener sends them back, on one stream as often as wanted.
 */
public final class PingService {

    public static final String PROTOCOL = "/ipfs/ping/1.0.0";
    public static final int PAYLOAD = 32;

    private final SecureRandom random = new SecureRandom();
    private final LongSupplier nanoTime;

    public PingService(Host host, LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        host.setHandler(PROTOCOL, this::serve);
    }

    public PingService(Host host) {
        this(host, System::nanoTime);
    }

    /** Answers pings: echoes every byte (the payload boundaries do not matter to an echo). */
    private void serve(Stream stream) {
        stream.setListener(new StreamListener() {
            @Override
            public void onData(MuxedStream s, ByteBuf data) {
                s.write(data);
            }

            @Override
            public void onRemoteClose(MuxedStream s) {
                s.closeWrite();
            }
        });
    }

    /** Pings {@code count} times on one stream; completes with each round-trip time. */
    public CompletableFuture<List<Duration>> ping(Connection connection, int count) {
        return connection.newStream(PROTOCOL).thenCompose(stream -> new Pinger(stream, count).start());
    }

    /**
     * Pings {@code count} times on one stream, all within {@code timeout}; fails with {@link PingTimeoutException}
     * when the answers are not all in by then, and the stream is reset (also one that opens after the timeout), so
     * unanswered pings leave nothing behind on the connection.
     */
    public CompletableFuture<List<Duration>> ping(Connection connection, int count, Duration timeout) {
        CompletableFuture<List<Duration>> out = new CompletableFuture<>();
        long deadline = nanoTime.getAsLong() + timeout.toNanos();
        connection.newStream(PROTOCOL).whenComplete((stream, error) -> {
            if (error != null) {
                out.completeExceptionally(error);
                return;
            }
            if (out.isDone()) {
                stream.reset();
                return;
            }
            Pinger pinger = new Pinger(stream, count);
            pinger.start().whenComplete((rtts, e) -> {
                if (e != null) {
                    out.completeExceptionally(e);
                } else {
                    out.complete(rtts);
                }
            });
            long left = Math.max(0, deadline - nanoTime.getAsLong());
            stream.eventLoop().schedule(() -> pinger.finish(new PingTimeoutException(timeout)), left,
                    TimeUnit.NANOSECONDS);
        });
        // also when the stream never opens (a dead connection does not answer multistream-select either)
        CompletableFuture.delayedExecutor(timeout.toNanos(), TimeUnit.NANOSECONDS)
                .execute(() -> out.completeExceptionally(new PingTimeoutException(timeout)));
        return out;
    }

    /** One ping stream: send, wait for the same 32 bytes, record, repeat. Runs on the stream's event loop. */
    private final class Pinger implements StreamListener {
        private final Stream stream;
        private final int count;
        private final List<Duration> rtts = new ArrayList<>();
        private final CompletableFuture<List<Duration>> result = new CompletableFuture<>();
        private final ByteBuf received = Unpooled.buffer(PAYLOAD);
        private byte[] sent;
        private long sentAt;

        Pinger(Stream stream, int count) {
            this.stream = stream;
            this.count = count;
        }

        CompletableFuture<List<Duration>> start() {
            stream.eventLoop().execute(() -> {
                stream.setListener(this);
                sendNext();
            });
            return result;
        }

        private void sendNext() {
            sent = new byte[PAYLOAD];
            random.nextBytes(sent);
            sentAt = nanoTime.getAsLong();
            stream.write(Unpooled.wrappedBuffer(sent));
        }

        @Override
        public void onData(MuxedStream s, ByteBuf data) {
            try {
                if (received.readableBytes() + data.readableBytes() > PAYLOAD) {
                    finish(new ProtocolViolationException("ping: remote sent more than it was sent"));
                    return;
                }
                received.writeBytes(data);
            } finally {
                data.release();
            }
            if (received.readableBytes() < PAYLOAD) {
                return;
            }
            byte[] echoed = new byte[PAYLOAD];
            received.readBytes(echoed);
            received.clear();
            if (!Arrays.equals(echoed, sent)) {
                finish(new ProtocolViolationException("ping: payload came back altered"));
                return;
            }
            rtts.add(Duration.ofNanos(nanoTime.getAsLong() - sentAt));
            if (rtts.size() == count) {
                finish(null);
            } else {
                sendNext();
            }
        }

        @Override
        public void onRemoteClose(MuxedStream s) {
            finish(new TransportException("ping: remote closed the stream"));
        }

        @Override
        public void onReset(MuxedStream s, Libp2pException cause) {
            finish(cause);
        }

        private void finish(Libp2pException error) {
            if (result.isDone()) {
                return;
            }
            received.release();
            if (error == null) {
                stream.closeWrite();
                result.complete(List.copyOf(rtts));
            } else {
                stream.reset();
                result.completeExceptionally(error);
            }
        }
    }
}
