package dev.edgelink.discovery;

import dev.edgelink.discovery.trust.NodeCertificate;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.libp2p.threads.TaskGuard;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Several hosts with membership services in one JVM, on 127.0.0.1 only. */
final class MeshHarness implements AutoCloseable {

    static final Multiaddr LOOPBACK = Multiaddr.fromString("/ip4/127.0.0.1/tcp/0");
    static final Duration GOSSIP = Duration.ofMillis(100);
    static final Duration SWEEP = Duration.ofMillis(50);

    /** One node: its host, store, service and what its listeners saw (with clock times). */
    static final class Node {
        final String name;
        final Host host;
        final MembershipStore store;
        final MembershipService service;
        final ScheduledExecutorService scheduler;
        final List<String> events = Collections.synchronizedList(new ArrayList<>());

        Node(String name, Host host, MembershipStore store, MembershipService service,
                ScheduledExecutorService scheduler) {
            this.name = name;
            this.host = host;
            this.store = store;
            this.service = service;
            this.scheduler = scheduler;
        }

        PeerId peer() {
            return host.peerId();
        }

        Multiaddr address() {
            return host.listenAddresses().get(0).withPeerId(host.peerId());
        }

        Set<PeerId> memberPeers() {
            return store.members().stream().map(SignedRecord::peerId).collect(Collectors.toSet());
        }

        void stop() {
            service.close();
            host.close();
            scheduler.shutdownNow();
        }
    }

    private final List<Node> nodes = new ArrayList<>();
    private final InstantSource clock = InstantSource.system();
    private int seed = 1;

    static MembershipConfig.Builder fastConfig() {
        return MembershipConfig.builder()
                .gossipInterval(GOSSIP)
                .sweepInterval(SWEEP)
                .recordTtl(Duration.ofSeconds(60))
                .dialBackoff(Duration.ofMillis(50), Duration.ofMillis(400))
                .exchangeTimeout(Duration.ofSeconds(3));
    }

    /** A node without a CA: its store takes every member at its word, its record carries no certificate. */
    Node start(String name, String podCidr, MembershipConfig config) {
        return start(name, podCidr, config, MembershipTrust.insecure(MembershipStore.DEFAULT_CLOCK_SKEW),
                peer -> Optional.empty());
    }

    /**
     * A node whose store admits what {@code trust} admits, and whose record carries the certificate
     * {@code certificate} returns for the node's peer id (none if empty). The record's site is "lab".
     */
    Node start(String name, String podCidr, MembershipConfig config, MembershipTrust trust,
            Function<PeerId, Optional<NodeCertificate>> certificate) {
        Host host = Host.start(HostConfig.builder(Keys.generateEd25519()).listen(List.of(LOOPBACK))
                .eventLoopThreads(1).build());
        MembershipStore store = MembershipStore.inMemory(StoreLimits.DEFAULT, trust);
        ScheduledExecutorService scheduler = new TaskGuard().newScheduler("members-" + name, "membership");
        MembershipService service = new MembershipService(host, store, config, scheduler, clock,
                new Random(seed++));
        Node node = new Node(name, host, store, service, scheduler);
        store.addListener(new MembershipListener() {
            @Override
            public void joined(SignedRecord r) {
                node.events.add("joined " + r.nodeName());
            }

            @Override
            public void left(SignedRecord last, DepartureReason reason) {
                node.events.add("left " + last.nodeName() + " " + reason + " at " + clock.millis()
                        + " expiry " + last.record().expiresAtMillis());
            }
        });
        NodeRecord.Builder template = NodeRecord.builder(name, host.peerId()).podCidr(podCidr).site("lab")
                .tunnel(TunnelCapability.USERSPACE);
        certificate.apply(host.peerId()).ifPresent(template::certificate);
        service.start(template.build());
        nodes.add(node);
        return node;
    }

    InstantSource clock() {
        return clock;
    }

    /** Polls {@code condition} every 10 ms until it holds; false if {@code timeout} passes first. */
    static boolean await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            TimeUnit.MILLISECONDS.sleep(10);
        }
        return condition.getAsBoolean();
    }

    @Override
    public void close() {
        for (Node n : nodes) {
            n.stop();
        }
    }
}
