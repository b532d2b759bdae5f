package dev.edgelink.discovery.mdns;

import dev.edgelink.discovery.DepartureReason;
import dev.edgelink.discovery.MembershipConfig;
import dev.edgelink.discovery.MembershipListener;
import dev.edgelink.discovery.MembershipService;
import dev.edgelink.discovery.MembershipStore;
import dev.edgelink.discovery.NodeRecord;
import dev.edgelink.discovery.SignedRecord;
import dev.edgelink.discovery.TunnelCapability;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.pnet.SwarmKey;
import dev.edgelink.libp2p.threads.TaskGuard;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;

/**
 * A membership node that finds its peers by mDNS only (no bootstrap peers), run as its own process inside a lab
 * namespace so that its UDP and TCP sockets live there. Prints one line per event on stdout:
 * {@code self <peer>}, {@code discovered <peer> <addresses>}, {@code member <peer> <node>}.
 *
 * <p>Arguments: node name, pod CIDR, interface, and optionally a swarm key file.
 */
public final class MdnsNode {
    private MdnsNode() {
    }

    public static void main(String[] args) throws Exception {
        HostConfig.Builder hc = HostConfig.builder(Keys.generateEd25519())
                .listen(List.of(Multiaddr.fromString("/ip4/0.0.0.0/tcp/4001")));
        if (args.length > 3) {
            hc.swarmKey(SwarmKey.fromFile(Path.of(args[3])));
        }
        Host host = Host.start(hc.build());
        System.out.println("self " + host.peerId());
        TaskGuard tasks = new TaskGuard();
        ScheduledExecutorService scheduler = tasks.newScheduler("mdns-node", "membership");
        MembershipStore store = MembershipStore.inMemory();
        store.addListener(new MembershipListener() {
            @Override
            public void joined(SignedRecord record) {
                System.out.println("member " + record.peerId() + " " + record.nodeName());
            }

            @Override
            public void left(SignedRecord last, DepartureReason reason) {
                System.out.println("left " + last.peerId() + " " + reason);
            }
        });
        MembershipService members = new MembershipService(host, store,
                MembershipConfig.builder().gossipInterval(Duration.ofMillis(500)).build(), scheduler,
                InstantSource.system(), new SecureRandom());
        members.start(NodeRecord.builder(args[0], host.peerId()).podCidr(args[1]).tunnel(TunnelCapability.USERSPACE)
                .build());
        MdnsService mdns = new MdnsService(host.peerId(), host::listenAddresses,
                MdnsConfig.on(List.of(args[2])).withQueryInterval(Duration.ofSeconds(1)), scheduler,
                InstantSource.system(), new SecureRandom(), (peer, addresses, via) -> {
                    System.out.println("discovered " + peer + " " + addresses);
                    members.discovered(peer, addresses);
                }, tasks);
        mdns.start();
        Thread.currentThread().join();
    }
}
