package dev.edgelink.dataplane.path.probe;

import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.internal.netlink.NetworkNamespaces;
import dev.edgelink.dataplane.path.PathProber;
import dev.edgelink.dataplane.path.ProbeResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Probes a path for real: sends a {@link ProbePacket} with a fresh random nonce to the peer's tunnel address and
 * waits for its echo. The kernel routes the tunnel address through the path under test (the reconciler installed
 * the trial route, or the path is the active one), so an echo means a packet crossed that path to the peer and a
 * packet came back. One socket for all peers, one receiver thread; each probe has its own timeout.
 *
 * <p>The receiver drops what is not an echo ({@link ProbePacket#decode} refuses every malformed datagram with an
 * {@link IllegalArgumentException}) and goes on after socket errors (an ICMP error of an earlier send). Anything
 * else is a bug of ours, not something a peer can send, and is left to end the thread: without it every probe would
 * time out and every path fall, so in the agent it ends the process (its {@code FatalThreadHandler}) for the
 * supervisor to restart, which keeps the routes as they are.
 */
public final class UdpPathProber implements PathProber, AutoCloseable {
    /** Default time to wait for an echo. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(500);

    private final DatagramChannel channel;
    private final int port;
    private final Duration timeout;
    private final LongSupplier nanoClock;
    private final SecureRandom random = new SecureRandom();
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final Thread receiver;

    private record Pending(CompletableFuture<ProbeResult> future, long sentAt) {
    }

    private UdpPathProber(DatagramChannel channel, int port, Duration timeout, LongSupplier nanoClock) {
        this.channel = channel;
        this.port = port;
        this.timeout = timeout;
        this.nanoClock = nanoClock;
        this.receiver = new Thread(this::receive, "edgelink-path-prober");
        this.receiver.setDaemon(true);
        this.receiver.start();
    }

    /** A prober in the caller's namespace, sending to {@code port} on peers. */
    public static UdpPathProber open(int port, Duration timeout) {
        return new UdpPathProber(unbound(), port, timeout, System::nanoTime);
    }

    /** A prober whose socket lives in another network namespace. */
    public static UdpPathProber open(Path namespace, int port, Duration timeout) {
        return new UdpPathProber(NetworkNamespaces.call(namespace, UdpPathProber::unbound), port, timeout,
                System::nanoTime);
    }

    private static DatagramChannel unbound() {
        try {
            DatagramChannel ch = DatagramChannel.open();
            ch.bind(null);
            return ch;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the path prober's socket", e);
        }
    }

    @Override
    public CompletableFuture<ProbeResult> probe(PeerView peer, PathKind path) {
        long nonce = random.nextLong();
        CompletableFuture<ProbeResult> f = new CompletableFuture<>();
        InetSocketAddress to = new InetSocketAddress(peer.tunnelAddress(), port);
        pending.put(nonce, new Pending(f, nanoClock.getAsLong()));
        try {
            channel.send(ByteBuffer.wrap(new ProbePacket(false, nonce).encode()), to);
        } catch (IOException e) {
            pending.remove(nonce);
            f.complete(ProbeResult.failure("send to " + to.getAddress().getHostAddress() + ":" + port + " failed: "
                    + e.getMessage()));
            return f;
        }
        f.completeOnTimeout(ProbeResult.failure("no echo from " + to.getAddress().getHostAddress() + ":" + port
                + " within " + timeout.toMillis() + " ms"), timeout.toNanos(), TimeUnit.NANOSECONDS);
        return f.whenComplete((r, e) -> pending.remove(nonce));
    }

    private void receive() {
        ByteBuffer buf = ByteBuffer.allocate(64);
        while (channel.isOpen()) {
            try {
                buf.clear();
                channel.receive(buf);
                buf.flip();
                ProbePacket p = ProbePacket.decode(buf);
                Pending w = p.reply() ? pending.remove(p.nonce()) : null;
                if (w != null) {
                    w.future().complete(ProbeResult.success(nanoClock.getAsLong() - w.sentAt()));
                }
            } catch (IllegalArgumentException e) {
                continue;
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                // An ICMP error from an earlier send surfaces here on some kernels; the probe then times out.
                continue;
            }
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
            receiver.join(1000);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pending.values().forEach(w -> w.future().complete(ProbeResult.failure("prober closed")));
    }
}
