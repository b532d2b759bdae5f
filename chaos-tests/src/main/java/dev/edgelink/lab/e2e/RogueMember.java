package dev.edgelink.lab.e2e;

import dev.edgelink.discovery.MembershipConfig;
import dev.edgelink.discovery.MembershipService;
import dev.edgelink.discovery.MembershipStore;
import dev.edgelink.discovery.NodeRecord;
import dev.edgelink.discovery.TunnelCapability;
import dev.edgelink.discovery.UnderlayAddress;
import dev.edgelink.discovery.trust.NodeCertificate;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.pnet.SwarmKey;
import dev.edgelink.libp2p.peer.PeerId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * An attacker for the end-to-end suites: a member with a node key (and maybe a valid certificate) that runs the
 * membership protocol as a modified agent would, announcing whatever it is told: pod CIDRs its certificate does not
 * grant, another certificate, or a record issued in the future. It does nothing else (no data plane): the suites
 * check that no honest node takes a route, a membership or a relay slot from it.
 *
 * <pre>
 * java RogueMember --key FILE --name NAME --listen MULTIADDR --underlay IP --bootstrap MULTIADDR
 *     [--cert FILE] [--pod-cidr CIDR ...] [--site SITE] [--clock-offset-ms N] [--psk FILE]
 * </pre>
 * Prints {@code rogue started peer=ID} once listening and runs until killed.
 */
public final class RogueMember {

    private RogueMember() {
    }

    public static void main(String[] args) throws Exception {
        Path key = null;
        Path cert = null;
        Path psk = null;
        String name = "rogue";
        String site = "";
        String underlay = null;
        long offset = 0;
        List<String> cidrs = new ArrayList<>();
        List<Multiaddr> listen = new ArrayList<>();
        List<Multiaddr> bootstrap = new ArrayList<>();
        for (int i = 0; i < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--key" -> key = Path.of(v);
                case "--cert" -> cert = Path.of(v);
                case "--psk" -> psk = Path.of(v);
                case "--name" -> name = v;
                case "--site" -> site = v;
                case "--underlay" -> underlay = v;
                case "--clock-offset-ms" -> offset = Long.parseLong(v);
                case "--pod-cidr" -> cidrs.add(v);
                case "--listen" -> listen.add(Multiaddr.fromString(v));
                case "--bootstrap" -> bootstrap.add(Multiaddr.fromString(v));
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        PrivKey identity = Keys.loadOrCreate(key);
        HostConfig.Builder hb = HostConfig.builder(identity).listen(listen);
        if (psk != null) {
            hb.swarmKey(SwarmKey.fromFile(psk));
        }
        Host host = Host.start(hb.build());
        PeerId self = host.peerId();
        NodeRecord.Builder template = NodeRecord.builder(name, self).site(site)
                .underlayAddress(UnderlayAddress.of(underlay, 0, UnderlayAddress.Kind.INTERFACE))
                .tunnel(TunnelCapability.HOSTGW).tunnel(TunnelCapability.VXLAN).tunnel(TunnelCapability.USERSPACE);
        cidrs.forEach(template::podCidr);
        if (cert != null) {
            template.certificate(NodeCertificate.parse(Files.readAllBytes(cert)));
        }
        MembershipConfig config = MembershipConfig.builder().gossipInterval(Duration.ofMillis(500))
                .recordTtl(Duration.ofSeconds(10)).bootstrapPeers(bootstrap).build();
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        InstantSource clock = InstantSource.offset(InstantSource.system(), Duration.ofMillis(offset));
        MembershipService service = new MembershipService(host, MembershipStore.inMemory(), config, scheduler, clock,
                new SecureRandom());
        service.start(template.build());
        System.out.println("rogue started peer=" + self);
        System.out.flush();
        Thread.currentThread().join();
    }
}
