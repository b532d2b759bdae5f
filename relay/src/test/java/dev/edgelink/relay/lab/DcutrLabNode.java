package dev.edgelink.relay.lab;

import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.DialOptions;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.relay.dcutr.DcutrConfig;
import dev.edgelink.relay.dcutr.DcutrService;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One node of the DCUtR lab test, run as its own JVM inside a namespace. Learns its external address from the
 * observer on the public node (a plain socket from the listen port), joins the other node through the splice on
 * the public node (the stand-in for a relayed connection: both ends dial, the splice joins the bytes), then runs
 * DCUtR: role {@code b} punches, role {@code a} answers. Prints one line, {@code PUNCHED local remote} or
 * {@code FAILED reason}, and exits 0 or 1.
 *
 * <p>Arguments: role, key file, listen port, observer ip:port, splice ip:port, dial window in ms.
 */
public final class DcutrLabNode {

    private DcutrLabNode() {
    }

    public static void main(String[] args) throws Exception {
        String role = args[0];
        int listenPort = Integer.parseInt(args[2]);
        InetSocketAddress observer = socket(args[3]);
        InetSocketAddress splice = socket(args[4]);
        Duration window = Duration.ofMillis(Long.parseLong(args[5]));
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        Host host = Host.start(HostConfig.builder(Keys.loadOrCreate(Path.of(args[1])))
                .listen(List.of(Multiaddr.fromString("/ip4/0.0.0.0/tcp/" + listenPort))).eventLoopThreads(1).build());
        int exit = 1;
        long start = 0;
        try {
            Multiaddr observed = Multiaddr.tcp(observe(observer, listenPort));
            System.out.println("OBSERVED " + observed);
            // the protocol handler is in place before any connection exists, as in the agent: b opens its
            // DCUtR stream as soon as the coordination connection is up, possibly before a's connect returns
            DcutrConfig config = DcutrConfig.DEFAULT.withAllowPrivateAddresses(true).withDialWindow(window);
            DcutrService dcutr = new DcutrService(host, config, () -> List.of(observed), scheduler,
                    System::nanoTime);
            CompletableFuture<Connection> answered = new CompletableFuture<>();
            dcutr.addPunchedListener(answered::complete);
            // the side that punches (b) led the coordination connection's upgrade; a leads the punched one
            DialOptions viaSplice = new DialOptions(true, true, role.equals("b") ? DialOptions.UpgradeRole.INITIATOR
                    : DialOptions.UpgradeRole.RESPONDER, Optional.of(Duration.ofSeconds(10)));
            Connection coordination = host.connect(Multiaddr.tcp(splice), viaSplice).get(20, TimeUnit.SECONDS);
            System.out.println("COORDINATION " + coordination.remotePeer());
            start = System.nanoTime();
            CompletableFuture<Connection> punched;
            if (role.equals("b")) {
                punched = dcutr.punch(coordination);
            } else {
                punched = answered;
            }
            long wait = 3 * window.toMillis() + 15_000;
            Connection direct = punched.get(wait, TimeUnit.MILLISECONDS);
            System.out.println("PUNCHED " + direct.localAddress() + " " + direct.remoteAddress() + " initiator="
                    + direct.isInitiator() + " after " + (System.nanoTime() - start) / 1_000_000 + " ms");
            exit = 0;
            Thread.sleep(500);
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            System.out.println("FAILED " + cause + " after " + (System.nanoTime() - start) / 1_000_000 + " ms");
        } finally {
            host.close();
            scheduler.shutdownNow();
        }
        System.out.flush();
        System.exit(exit);
    }

    private static InetSocketAddress socket(String text) {
        int colon = text.lastIndexOf(':');
        return new InetSocketAddress(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
    }

    /** Our address as the observer sees a connection from our listen port: one line, {@code ip:port}. */
    private static InetSocketAddress observe(InetSocketAddress observer, int listenPort) throws Exception {
        try (Socket s = new Socket()) {
            s.setReuseAddress(true);
            s.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            s.bind(new InetSocketAddress(listenPort));
            s.connect(observer, 5000);
            String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            return socket(line.trim());
        }
    }
}
