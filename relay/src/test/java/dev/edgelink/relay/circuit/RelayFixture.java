package dev.edgelink.relay.circuit;

import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.echo.EchoService;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Hosts on loopback for relay tests; closes what it started. */
final class RelayFixture implements AutoCloseable {

    static final Multiaddr ANY = Multiaddr.fromString("/ip4/127.0.0.1/tcp/0");
    private final List<AutoCloseable> started = new ArrayList<>();

    Host host() {
        return host(Keys.generateEd25519(), ANY);
    }

    Host host(PrivKey key, Multiaddr listen) {
        Host h = Host.start(HostConfig.builder(key).listen(List.of(listen)).build());
        started.add(h);
        EchoService.register(h);
        return h;
    }

    <T extends AutoCloseable> T add(T closeable) {
        started.add(closeable);
        return closeable;
    }

    static Multiaddr addressOf(Host h) {
        return h.listenAddresses().get(0).withPeerId(h.peerId());
    }

    static Multiaddr circuit(Host relay, Host target) {
        return addressOf(relay).encapsulate(Multiaddr.fromString("/p2p-circuit/p2p/" + target.peerId()));
    }

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(20, TimeUnit.SECONDS);
    }

    /** Polls {@code condition} until true or the timeout; returns its last value. */
    static boolean eventually(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    @Override
    public void close() {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception ignored) {
                // best effort: the next ones still get closed
            }
        }
    }
}
