package dev.edgelink.libp2p.ping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The watchdog on loopback: a connection through a TCP relay that can be made to swallow every byte (as a NAT that
 * lost its mapping does: nothing is reset, nothing arrives) is closed after its misses; a healthy one is not.
 */
class ConnectionWatchdogTest {
    private static final ConnectionWatchdog.Settings FAST = new ConnectionWatchdog.Settings(Duration.ofMillis(200),
            Duration.ofMillis(200), 3);
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        scheduler.shutdownNow();
    }

    private Host host() {
        Host h = Host.start(HostConfig.builder(Keys.generateEd25519())
                .listen(List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"))).build());
        closeables.add(h);
        return h;
    }

    @Test
    void aConnectionThatSwallowsEverythingIsClosedAfterThreeMisses() throws Exception {
        Host a = host();
        Host b = host();
        new PingService(b);
        SwallowingRelay relay = new SwallowingRelay(b.listenAddresses().get(0).toTcpSocketAddress());
        closeables.add(relay);
        Connection c = a.connect(Multiaddr.fromString("/ip4/127.0.0.1/tcp/" + relay.port() + "/p2p/" + b.peerId()))
                .get(10, TimeUnit.SECONDS);
        PingService ping = new PingService(a);
        closeables.add(ConnectionWatchdog.start(a, ping, FAST, scheduler));
        assertEquals(1, ping.ping(c, 1, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS).size(), "alive first");

        relay.swallow();
        long t0 = System.nanoTime();
        await("the swallowing connection is closed", () -> !c.isOpen());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 3 * 200 - 200, "closed only after three misses, not at the first: " + ms + " ms");
        assertTrue(a.connections().isEmpty(), "and gone from the host: " + a.connections());
    }

    @Test
    void aHealthyConnectionIsPingedAndKept() throws Exception {
        Host a = host();
        Host b = host();
        AtomicInteger pings = new AtomicInteger();
        b.setHandler(PingService.PROTOCOL, stream -> {
            pings.incrementAndGet();
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
        });
        Connection c = a.connect(b.listenAddresses().get(0).withPeerId(b.peerId())).get(10, TimeUnit.SECONDS);
        ConnectionWatchdog dog = ConnectionWatchdog.start(a, new PingService(a), FAST, scheduler);
        closeables.add(dog);
        await("five watchdog pings answered", () -> pings.get() >= 5);
        assertTrue(c.isOpen());
        assertEquals(Map.of(), dog.missed());
    }

    @Test
    void anUnansweredTimedPingFailsWithItsOwnExceptionAndLeavesNoStream() throws Exception {
        Host a = host();
        Host b = host();
        // b accepts ping streams and never answers
        AtomicInteger opened = new AtomicInteger();
        b.setHandler(PingService.PROTOCOL, stream -> opened.incrementAndGet());
        Connection c = a.connect(b.listenAddresses().get(0).withPeerId(b.peerId())).get(10, TimeUnit.SECONDS);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> new PingService(a).ping(c, 1, Duration.ofMillis(300)).get(10, TimeUnit.SECONDS));
        assertInstanceOf(PingTimeoutException.class, e.getCause());
        assertEquals(1, opened.get());
        await("the timed-out ping stream is reset", () -> c.muxer().activeStreams() == 0);
    }

    @Test
    void settingsAreChecked() {
        assertThrows(IllegalArgumentException.class,
                () -> new ConnectionWatchdog.Settings(Duration.ofSeconds(1), Duration.ofSeconds(2), 3));
        assertThrows(IllegalArgumentException.class,
                () -> new ConnectionWatchdog.Settings(Duration.ofSeconds(1), Duration.ofSeconds(1), 0));
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 15 s: " + what);
            }
            Thread.sleep(20);
        }
    }

    /** A one-connection TCP relay on loopback that, once told to, reads and drops everything in both directions. */
    private static final class SwallowingRelay implements AutoCloseable {
        private final ServerSocket server;
        private final List<Socket> sockets = new ArrayList<>();
        private volatile boolean swallowing;

        SwallowingRelay(InetSocketAddress target) throws IOException {
            server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            Thread t = new Thread(() -> {
                try {
                    Socket in = server.accept();
                    Socket out = new Socket(target.getAddress(), target.getPort());
                    synchronized (sockets) {
                        sockets.add(in);
                        sockets.add(out);
                    }
                    pump(in, out);
                    pump(out, in);
                } catch (IOException ignored) {
                    // closed
                }
            }, "swallowing-relay");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        void swallow() {
            swallowing = true;
        }

        private void pump(Socket from, Socket to) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[16384];
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        if (!swallowing) {
                            out.write(buf, 0, n);
                        }
                    }
                } catch (IOException ignored) {
                    // closed
                }
            }, "swallowing-relay-pump");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws IOException {
            server.close();
            synchronized (sockets) {
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }
}
