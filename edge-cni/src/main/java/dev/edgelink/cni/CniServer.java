package dev.edgelink.cni;

import dev.edgelink.cni.internal.codec.AgentProtocol;
import dev.edgelink.cni.internal.server.RequestHandler;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's CNI socket: a unix stream socket (mode 0600) on which the plugin client sends one JSON request per
 * connection and reads one JSON response (the protocol is in {@code AgentProtocol}'s Javadoc). The agent embeds
 * it: {@code new CniServer(service, socket).start()}, {@code close()} on shutdown.
 *
 * <p>Limits ({@link Limits}): a request larger than {@code maxRequestBytes} or not complete within
 * {@code readTimeout} is answered with an error and closed; at most {@code maxConcurrent} requests run at once,
 * and one more is answered "try again later" (code 11) at once. Requests run on platform threads.
 */
public final class CniServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CniServer.class);
    private static final AtomicInteger THREADS = new AtomicInteger();

    /** The server's limits. */
    public record Limits(int maxRequestBytes, Duration readTimeout, int maxConcurrent) {
        /** 1 MiB (a prevResult is a few KiB), 10 s, 16. */
        public static final Limits DEFAULTS = new Limits(1 << 20, Duration.ofSeconds(10), 16);

        public Limits {
            if (maxRequestBytes < 1024 || maxConcurrent < 1 || readTimeout.isNegative() || readTimeout.isZero()) {
                throw new IllegalArgumentException("limits out of range: " + maxRequestBytes + " bytes, "
                        + readTimeout + ", " + maxConcurrent + " concurrent");
            }
        }
    }

    private final RequestHandler handler;
    private final Path socket;
    private final Limits limits;
    private final ThreadPoolExecutor workers;
    private final ScheduledExecutorService timers;
    private ServerSocketChannel server;
    private Thread acceptor;
    private volatile boolean closed;

    public CniServer(CniService service, Path socket) {
        this(service, socket, Limits.DEFAULTS);
    }

    public CniServer(CniService service, Path socket, Limits limits) {
        this.handler = new RequestHandler(Objects.requireNonNull(service, "service"));
        this.socket = Objects.requireNonNull(socket, "socket");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.workers = new ThreadPoolExecutor(limits.maxConcurrent(), limits.maxConcurrent(), 60, TimeUnit.SECONDS,
                new SynchronousQueue<>(), r -> thread(r, "edgelink-cni-request-" + THREADS.incrementAndGet()));
        this.workers.allowCoreThreadTimeOut(true);
        this.timers = new ScheduledThreadPoolExecutor(1, r -> thread(r, "edgelink-cni-timer"));
    }

    /**
     * Binds the socket (creating its directory; replacing a stale socket file that nobody answers on) and starts
     * accepting. Fails if another process serves on the path, or the path is not a socket.
     */
    public synchronized CniServer start() throws IOException {
        if (server != null) {
            throw new IllegalStateException("already started");
        }
        Files.createDirectories(socket.toAbsolutePath().getParent());
        removeStaleSocket();
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        ch.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        server = ch;
        acceptor = thread(this::acceptLoop, "edgelink-cni-accept");
        acceptor.start();
        LOG.info("CNI socket listening on {}", socket);
        return this;
    }

    public Path socket() {
        return socket;
    }

    private void removeStaleSocket() throws IOException {
        if (!Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isRegularFile(socket) || Files.isDirectory(socket)) {
            throw new IOException(socket + " exists and is not a socket; refusing to replace it");
        }
        boolean alive;
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            alive = true;
        } catch (IOException e) {
            alive = false;
        }
        if (alive) {
            throw new IOException("another process already serves CNI on " + socket);
        }
        LOG.info("removing stale CNI socket {}", socket);
        Files.delete(socket);
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("CNI socket accept failed: {}", e.getMessage());
                }
                continue;
            }
            try {
                workers.execute(() -> serve(client));
            } catch (RejectedExecutionException e) {
                answerBusy(client);
            }
        }
    }

    private void serve(SocketChannel client) {
        ScheduledFuture<?> deadline = timers.schedule(() -> closeQuietly(client), limits.readTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
        byte[] response;
        try {
            byte[] request = readRequest(client);
            deadline.cancel(false);
            response = request == null ? tooLarge() : handler.handle(request);
        } catch (IOException e) {
            deadline.cancel(false);
            LOG.warn("CNI request not read: {}", closed || !client.isOpen() ? "timed out or closed after "
                    + limits.readTimeout() : e.getMessage());
            closeQuietly(client);
            return;
        }
        try (client) {
            ByteBuffer out = ByteBuffer.wrap(response);
            while (out.hasRemaining()) {
                client.write(out);
            }
        } catch (IOException e) {
            LOG.warn("CNI response not delivered: {}", e.getMessage());
        }
    }

    /** The request bytes up to EOF, or {@code null} if there are more than the limit. */
    private byte[] readRequest(SocketChannel client) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(8192);
        byte[] all = new byte[0];
        int total = 0;
        while (true) {
            buf.clear();
            int n = client.read(buf);
            if (n < 0) {
                return Arrays.copyOf(all, total);
            }
            if (total + n > limits.maxRequestBytes()) {
                return null;
            }
            if (total + n > all.length) {
                all = Arrays.copyOf(all, Math.max(all.length * 2, total + n));
            }
            System.arraycopy(buf.array(), 0, all, total, n);
            total += n;
        }
    }

    private byte[] tooLarge() {
        return AgentProtocol.encodeFailure(new CniException(CniErrorCode.DECODING_FAILURE, "request too large",
                "more than " + limits.maxRequestBytes() + " bytes"));
    }

    /**
     * Answers "busy" on a thread of its own. The request is read (and dropped) before the socket is closed: closing
     * a unix socket with unread bytes resets it, and the client would see a reset instead of the answer.
     */
    private void answerBusy(SocketChannel client) {
        Thread answer = new Thread(() -> {
            try (client) {
                client.write(ByteBuffer.wrap(AgentProtocol.encodeFailure(new CniException(
                        CniErrorCode.TRY_AGAIN_LATER, "edgelink agent is busy",
                        limits.maxConcurrent() + " CNI requests are in progress"))));
                client.shutdownOutput();
                ByteBuffer sink = ByteBuffer.allocate(8192);
                long drained = 0;
                int n;
                while (drained <= limits.maxRequestBytes() && (n = client.read(sink)) >= 0) {
                    drained += n;
                    sink.clear();
                }
            } catch (IOException e) {
                LOG.debug("busy answer not delivered: {}", e.getMessage());
            }
        }, "edgelink-cni-busy");
        answer.setDaemon(true);
        answer.start();
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing is all we wanted
        }
    }

    private static Thread thread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Stops accepting, lets running requests finish (up to 30 s), and removes the socket file. */
    @Override
    public synchronized void close() {
        closed = true;
        try {
            if (server != null) {
                server.close();
                Files.deleteIfExists(socket);
            }
        } catch (IOException e) {
            LOG.warn("closing CNI socket {}: {}", socket, e.getMessage());
        }
        workers.shutdown();
        timers.shutdownNow();
        try {
            workers.awaitTermination(30, TimeUnit.SECONDS);
            if (acceptor != null) {
                acceptor.join(5000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
