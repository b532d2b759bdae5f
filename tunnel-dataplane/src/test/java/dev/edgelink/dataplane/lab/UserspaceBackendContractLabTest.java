package dev.edgelink.dataplane.lab;

import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.backend.userspace.UserspaceBackend;
import dev.edgelink.dataplane.backend.userspace.UserspaceDevice;
import dev.edgelink.dataplane.internal.netlink.NetworkNamespaces;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.tunnel.TunnelConfig;
import dev.edgelink.dataplane.tunnel.TunnelProtocol;
import dev.edgelink.dataplane.tunnel.TunnelService;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.net.IpPrefix;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/**
 * The {@link TunnelBackend} contract for the direct rung. Unlike the kernel paths, b's half cannot be made with
 * iproute2 (nothing but edgelink speaks the tunnel protocol), so {@link #buildPeer} gives b our own device, service
 * and libp2p host and joins the two nodes with a direct connection; everything checked is on a's side.
 */
class UserspaceBackendContractLabTest extends TunnelBackendContractTest {
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private UserspaceDevice deviceA;

    @Override
    TunnelBackend create(Netlink netlink) {
        deviceA = new UserspaceDevice(netlink, Lab.path(a), TunnelConfig.defaults(1400));
        closeables.add(deviceA);
        return new UserspaceBackend(PathKind.DIRECT, netlink, deviceA);
    }

    @Override
    int expectedOverhead() {
        return 86;
    }

    @Override
    void buildPeer(Lab lab, String b) {
        Netlink netlinkB = Netlink.openInNamespace(Lab.path(b));
        closeables.add(netlinkB);
        UserspaceDevice deviceB = new UserspaceDevice(netlinkB, Lab.path(b), TunnelConfig.defaults(1400));
        closeables.add(deviceB);
        LocalNode localB = new LocalNode("b", "ul", (Inet4Address) IpPrefix.literal("10.0.0.2"), POD_CIDR_B,
                (Inet4Address) IpPrefix.literal("10.244.2.0"), Optional.empty());
        UserspaceBackend backendB = new UserspaceBackend(PathKind.DIRECT, netlinkB, deviceB);
        backendB.ensureDevice(localB);
        Host hostA = host(a, "10.0.0.1");
        Host hostB = host(b, "10.0.0.2");
        TunnelService serviceA = deviceA.service().orElseThrow();
        TunnelService serviceB = deviceB.service().orElseThrow();
        TunnelProtocol.serve(hostB, serviceB, p -> p.equals(hostA.peerId()) ? Optional.of("a") : Optional.empty());
        try {
            Multiaddr to = hostB.listenAddresses().get(0).withPeerId(hostB.peerId());
            Connection c = NetworkNamespaces.call(Lab.path(a), () -> hostA.connect(to).get(20, TimeUnit.SECONDS));
            TunnelProtocol.open(c, "b", serviceA).get(20, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!serviceA.connected("b") || !serviceB.connected("a")) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no tunnel between a and b after 20 s");
                }
                Thread.sleep(20);
            }
        } catch (Exception e) {
            throw new AssertionError("joining a and b failed", e);
        }
        backendB.ensurePeer(dev.edgelink.dataplane.backend.StaticPeer.of("a", POD_CIDR_A,
                IpPrefix.literal("10.0.0.1"), null));
    }

    private Host host(String ns, String address) {
        Multiaddr listen = Multiaddr.fromString("/ip4/" + address + "/tcp/0");
        Host h = NetworkNamespaces.call(Lab.path(ns),
                () -> Host.start(HostConfig.builder(Keys.generateEd25519()).listen(List.of(listen)).build()));
        closeables.add(h);
        return h;
    }

    @AfterEach
    void closeUserspace() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }
}
