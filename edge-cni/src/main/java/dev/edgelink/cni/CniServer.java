package dev.edgelink.cni;

import dev.edgelink.cni.internal.codec.AgentProtocol;
import dev.edgelink.cni.internal.codec.HttpCodec;
import dev.edgelink.cni.internal.server.RequestHandler;
import dev.edgelink.libp2p.threads.TaskGuard;
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
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's CNI socket: a unix stream socket (mode 0600) that serves one request per connection in either of
 * two protocols, told apart by the first byte: the JVM client's JSON ({@code AgentProtocol}'s Javadoc; starts with
 * '{'), or HTTP/1.1 from the launcher's curl ({@code HttpCodec}'s Javadoc; starts with "POST"). Both give the
 * same answers. The agent embeds it: {@code new CniServer(service, socket).start()}, {@code close()} on shutdown.
 *
 * <p>Limits ({@link Limits}): a request larger than {@code maxRequestBytes} or not complete within
 * {@code readTimeout} is answered with an error or closed; an HTTP head is at most {@link #MAX_HTTP_HEAD_BYTES};
 * at most {@code maxConcurrent} requests run at once, and one more is read and answered "try again later"
 * (code 11). Requests run on platform threads.
 *
 * <p>Failures: a request that fails with an exception anywhere in the server (not only in the {@link CniService},
 * whose failures are answered as usual) is answered with an internal error (code 999) in its protocol, or closed when
 * nothing can be answered any more, and counted as task {@value #REQUEST_TASK} in the {@link TaskGuard}; the worker
 * serves the next request, which does not depend on it. An {@link Error} ends the worker thread, and one that ends the
 * accept thread stops the socket: in the agent either ends the process (its {@code FatalThreadHandler}), which its
 * supervisor restarts.
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

    /** The largest HTTP request head (request line and headers). */
    public static final int MAX_HTTP_HEAD_BYTES = 16 * 1024;
    /** The task name of a failed request in the {@link TaskGuard}. */
    public static final String REQUEST_TASK = "cni-request";

    private final RequestHandler handler;
    private final Path socket;
    private final Limits limits;
    /** One per request being served; taken on accept, given back once the answer is written. */
    private final Semaphore permits;
    private final ThreadPoolExecutor workers;
    private final ScheduledExecutorService timers;
    private final TaskGuard tasks;
    private ServerSocketChannel server;
    private Thread acceptor;
    private volatile boolean closed;

    /** A server with the default limits whose failures are counted by a guard of its own. */
    public CniServer(CniService service, Path socket) {
        this(service, socket, Limits.DEFAULTS, new TaskGuard());
    }

    /**
     * @param tasks counts (and logs) requests that failed in the server and the read timers' failures
     *     ({@value #REQUEST_TASK}, {@code cni-timer})
     */
    public CniServer(CniService service, Path socket, Limits limits, TaskGuard tasks) {
        this.tasks = Objects.requireNonNull(tasks, "tasks");
        tasks.track(REQUEST_TASK);
        this.handler = new RequestHandler(Objects.requireNonNull(service, "service"), bug -> tasks.failed(REQUEST_TASK,
                bug));
        this.socket = Objects.requireNonNull(socket, "socket");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.permits = new Semaphore(limits.maxConcurrent());
        this.workers = new ThreadPoolExecutor(limits.maxConcurrent(), limits.maxConcurrent(), 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> thread(r, "edgelink-cni-request-" + THREADS.incrementAndGet()));
        this.workers.allowCoreThreadTimeOut(true);
        this.timers = tasks.newScheduler("edgelink-cni-timer", "cni-timer");
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
            if (!permits.tryAcquire()) {
                answerBusy(client);
                continue;
            }
            try {
                workers.execute(() -> serve(client, false));
            } catch (RejectedExecutionException e) {
                permits.release();
                closeQuietly(client);
            }
        }
    }

    /**
     * Reads one request (within the read timeout) in either protocol, answers it, closes. With {@code busy} the
     * request is read and checked but answered 11 (try again later) instead of being run.
     */
    private void serve(SocketChannel client, boolean busy) {
        AtomicBoolean held = new AtomicBoolean(!busy);
        Runnable release = () -> {
            if (held.getAndSet(false)) {
                permits.release();
            }
        };
        try {
            serveOne(client, busy, release);
        } catch (RuntimeException e) {
            // nothing could be answered (e.g. no read timer while closing): counted, and the connection closed
            tasks.failed(REQUEST_TASK, e);
        } finally {
            release.run();
            closeQuietly(client);
        }
    }

    private void serveOne(SocketChannel client, boolean busy, Runnable release) {
        ScheduledFuture<?> deadline = timers.schedule(() -> closeQuietly(client), limits.readTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
        byte[] response;
        Buffer in = new Buffer();
        try {
            response = answer(client, in, busy ? busyError() : null, deadline);
        } catch (IOException e) {
            deadline.cancel(false);
            LOG.warn("CNI request not read: {}", closed || !client.isOpen() ? "timed out or closed after "
                    + limits.readTimeout() : e.getMessage());
            closeQuietly(client);
            return;
        } catch (RuntimeException e) {
            deadline.cancel(false);
            tasks.failed(REQUEST_TASK, e);
            response = internalError(in, e);
        }
        try {
            ByteBuffer out = ByteBuffer.wrap(response);
            while (out.hasRemaining()) {
                client.write(out);
            }
            // given back before the close, so that a client calling again on seeing EOF finds it free
            release.run();
        } catch (IOException e) {
            LOG.warn("CNI response not delivered: {}", e.getMessage());
        }
    }

    private byte[] answer(SocketChannel client, Buffer in, CniException busy, ScheduledFuture<?> deadline)
            throws IOException {
        if (in.fill(client) > 0 && HttpCodec.looksLikeHttp(in.bytes[0])) {
            try {
                HttpCall call = readHttp(client, in);
                deadline.cancel(false);
                return handler.handleHttp(call.head().env(), call.body(), socket, busy);
            } catch (HttpCodec.HttpException e) {
                deadline.cancel(false);
                LOG.warn("CNI HTTP request refused: {}", e.getMessage());
                return HttpCodec.encodeFailure(e);
            }
        }
        while (in.length <= limits.maxRequestBytes() && in.fill(client) >= 0) {
            continue;
        }
        deadline.cancel(false);
        if (in.length > limits.maxRequestBytes()) {
            return tooLarge();
        }
        byte[] request = Arrays.copyOf(in.bytes, in.length);
        return busy != null ? AgentProtocol.encodeFailure(busy) : handler.handle(request);
    }

    private record HttpCall(HttpCodec.Head head, byte[] body) {
    }

    /** The rest of an HTTP request whose first bytes are in {@code in}: head, then Content-Length bytes. */
    private HttpCall readHttp(SocketChannel client, Buffer in) throws IOException {
        int headLength;
        while ((headLength = HttpCodec.headLength(in.bytes, in.length)) < 0 || headLength > MAX_HTTP_HEAD_BYTES) {
            if (in.length > MAX_HTTP_HEAD_BYTES) {
                throw new HttpCodec.HttpException(431, new CniException(CniErrorCode.AGENT_PROTOCOL,
                        "malformed HTTP request on the edgelink CNI socket", "head longer than "
                        + MAX_HTTP_HEAD_BYTES + " bytes"));
            }
            if (in.fill(client) < 0) {
                throw new IOException("connection closed inside the HTTP head");
            }
        }
        HttpCodec.Head head = HttpCodec.decodeHead(in.bytes, headLength, limits.maxRequestBytes());
        long end = (long) headLength + head.contentLength();
        while (in.length < end) {
            if (in.fill(client) < 0) {
                throw new IOException("connection closed inside the HTTP body");
            }
        }
        return new HttpCall(head, Arrays.copyOfRange(in.bytes, headLength, (int) end));
    }

    /** Bytes read so far from one connection. */
    private static final class Buffer {
        private byte[] bytes = new byte[8192];
        private int length;

        /** Reads once into the buffer (growing it); returns the count, or -1 at EOF. */
        int fill(SocketChannel ch) throws IOException {
            if (length == bytes.length) {
                bytes = Arrays.copyOf(bytes, bytes.length * 2);
            }
            int n = ch.read(ByteBuffer.wrap(bytes, length, bytes.length - length));
            if (n > 0) {
                length += n;
            }
            return n;
        }
    }

    private byte[] tooLarge() {
        return AgentProtocol.encodeFailure(new CniException(CniErrorCode.DECODING_FAILURE, "request too large",
                "more than " + limits.maxRequestBytes() + " bytes"));
    }

    /** Code 999 in the protocol the request's first byte names (the JVM client's JSON when nothing was read). */
    private static byte[] internalError(Buffer in, RuntimeException e) {
        CniException bug = RequestHandler.bug(e);
        if (in.length > 0 && HttpCodec.looksLikeHttp(in.bytes[0])) {
            return HttpCodec.encodeFailure(new HttpCodec.HttpException(HttpCodec.CNI_ERROR, bug));
        }
        return AgentProtocol.encodeFailure(bug);
    }

    private CniException busyError() {
        return new CniException(CniErrorCode.TRY_AGAIN_LATER, "edgelink agent is busy",
                limits.maxConcurrent() + " CNI requests are in progress");
    }

    /**
     * Serves a request beyond {@code maxConcurrent} on a thread of its own: it is read (closing a unix socket with
     * unread bytes resets it, and the client would see a reset instead of the answer) and answered "busy".
     */
    private void answerBusy(SocketChannel client) {
        Thread answer = new Thread(() -> serve(client, true), "edgelink-cni-busy");
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
