package dev.edgelink.dataplane.lab;

import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.StaticPeer;
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
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.net.IpPrefix;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Two nodes on the userspace path, for real: namespaces {@code a} and {@code b} joined by a veth underlay
 * (198.18.0.1/.2), each with a pod namespace behind it ({@code pa} 10.244.1.2 and {@code pb} 10.244.2.2, plugged in
 * with a veth, gateway .1 on the node). The world around the nodes is made with iproute2; each node's TUN device,
 * its address, MTU and routes, its libp2p host and the tunnel stream are made by the code under test. A dials b
 * directly and opens the tunnel stream.
 */
final class UserspaceWorld implements AutoCloseable {
    final Lab lab;
    final Node a;
    final Node b;
    final Map<PeerId, String> members = new ConcurrentHashMap<>();
    private final List<AutoCloseable> extra = new ArrayList<>();

    /** One node: its namespaces and the objects under test. */
    static final class Node {
        final String name;
        final String ns;
        final String podNs;
        final String podAddress;
        final LocalNode local;
        final Netlink netlink;
        final UserspaceDevice device;
        final UserspaceBackend backend;
        Host host;

        Node(String name, String ns, String podNs, String podAddress, LocalNode local, Netlink netlink,
             UserspaceDevice device) {
            this.name = name;
            this.ns = ns;
            this.podNs = podNs;
            this.podAddress = podAddress;
            this.local = local;
            this.netlink = netlink;
            this.device = device;
            this.backend = new UserspaceBackend(PathKind.DIRECT, netlink, device);
        }

        TunnelService service() {
            return device.service().orElseThrow();
        }

        StaticPeer asPeer() {
            return StaticPeer.of(name, local.podCidr(), local.underlayAddress(), null);
        }

        Multiaddr address() {
            return host.listenAddresses().get(0).withPeerId(host.peerId());
        }
    }

    private UserspaceWorld(Lab lab, TunnelConfig config) {
        this.lab = lab;
        String na = lab.namespace("a");
        String nb = lab.namespace("b");
        lab.ip(na, "link", "add", "ul", "type", "veth", "peer", "name", "ul", "netns", nb);
        lab.ip(na, "addr", "add", "198.18.0.1/24", "dev", "ul");
        lab.ip(nb, "addr", "add", "198.18.0.2/24", "dev", "ul");
        lab.ip(na, "link", "set", "ul", "up");
        lab.ip(nb, "link", "set", "ul", "up");
        this.a = node(config, "a", na, "198.18.0.1", 1);
        this.b = node(config, "b", nb, "198.18.0.2", 2);
    }

    /** Builds the world, starts both nodes and joins them with a direct tunnel stream from a to b. */
    static UserspaceWorld start(TunnelConfig config) throws Exception {
        Lab lab = Lab.open("elu");
        UserspaceWorld w = null;
        try {
            w = new UserspaceWorld(lab, config);
            w.startHost(w.a);
            w.startHost(w.b);
            w.link(w.a, w.b);
            return w;
        } catch (Exception | Error e) {
            if (w != null) {
                w.close();
            } else {
                lab.close();
            }
            throw e;
        }
    }

    private Node node(TunnelConfig config, String name, String ns, String underlay, int site) {
        String pod = lab.namespace("p" + name);
        lab.ip(ns, "link", "add", "pod0", "type", "veth", "peer", "name", "eth0", "netns", pod);
        lab.ip(ns, "addr", "add", "10.244." + site + ".1/24", "dev", "pod0");
        lab.ip(ns, "link", "set", "pod0", "up");
        lab.ip(pod, "addr", "add", "10.244." + site + ".2/24", "dev", "eth0");
        lab.ip(pod, "link", "set", "eth0", "up");
        lab.ip(pod, "route", "add", "default", "via", "10.244." + site + ".1");
        lab.execIn(ns, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        IpPrefix cidr = IpPrefix.parse("10.244." + site + ".0/24");
        LocalNode local = new LocalNode(name, "ul", (Inet4Address) IpPrefix.literal(underlay), cidr,
                (Inet4Address) cidr.address(), Optional.empty());
        Netlink netlink = Netlink.openInNamespace(Lab.path(ns));
        UserspaceDevice device = new UserspaceDevice(netlink, Lab.path(ns), config);
        Node n = new Node(name, ns, pod, "10.244." + site + ".2", local, netlink, device);
        n.backend.ensureDevice(local);
        return n;
    }

    private void startHost(Node n) {
        Multiaddr listen = Multiaddr.fromString("/ip4/" + n.local.underlayAddress().getHostAddress() + "/tcp/0");
        n.host = NetworkNamespaces.call(Lab.path(n.ns),
                () -> Host.start(HostConfig.builder(Keys.generateEd25519()).listen(List.of(listen)).build()));
        members.put(n.host.peerId(), n.name);
        TunnelProtocol.serve(n.host, n.device, p -> Optional.ofNullable(members.get(p)));
    }

    /** From dials to's host (sockets made inside from's namespace), opens the tunnel stream, installs routes. */
    void link(Node from, Node to) throws Exception {
        Connection c = NetworkNamespaces.call(Lab.path(from.ns),
                () -> from.host.connect(to.address()).get(20, TimeUnit.SECONDS));
        TunnelProtocol.open(c, to.name, from.service()).get(20, TimeUnit.SECONDS);
        awaitConnected(from, to.name);
        awaitConnected(to, from.name);
        from.backend.ensurePeer(to.asPeer());
        to.backend.ensurePeer(from.asPeer());
    }

    static void awaitConnected(Node n, String peer) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!n.service().connected(peer)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(n.name + " has no tunnel to " + peer + " after 20 s");
            }
            Thread.sleep(20);
        }
    }

    /** Closed with the world (hosts of extra peers). */
    <T extends AutoCloseable> T closeLater(T c) {
        extra.add(c);
        return c;
    }

    @Override
    public void close() {
        try {
            for (AutoCloseable c : extra) {
                closeQuietly(c);
            }
            for (Node n : new Node[] {a, b}) {
                if (n != null) {
                    closeQuietly(n.device);
                    if (n.host != null) {
                        closeQuietly(n.host);
                    }
                    closeQuietly(n.netlink);
                }
            }
        } finally {
            lab.close();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // the lab is torn down regardless
        }
    }
}
