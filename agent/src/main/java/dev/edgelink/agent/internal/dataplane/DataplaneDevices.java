package dev.edgelink.agent.internal.dataplane;

import dev.edgelink.agent.config.AgentConfig;
import dev.edgelink.agent.config.ConfigException;
import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.backend.hostgw.HostGwBackend;
import dev.edgelink.dataplane.backend.ipip.IpipBackend;
import dev.edgelink.dataplane.backend.userspace.UserspaceBackend;
import dev.edgelink.dataplane.backend.userspace.UserspaceDevice;
import dev.edgelink.dataplane.backend.vxlan.VxlanBackend;
import dev.edgelink.dataplane.mtu.MtuCalculator;
import dev.edgelink.dataplane.netlink.Link;
import dev.edgelink.dataplane.netlink.LinkAddress;
import dev.edgelink.dataplane.netlink.LinkSpec;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.path.probe.UdpEchoResponder;
import dev.edgelink.dataplane.path.probe.UdpPathProber;
import dev.edgelink.dataplane.reconcile.Reconciler;
import dev.edgelink.dataplane.tunnel.TunnelConfig;
import dev.edgelink.libp2p.threads.TaskGuard;
import dev.edgelink.net.MacAddress;
import java.io.IOException;
import java.net.Inet4Address;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the data plane makes before its loop runs: the netlink socket, the backends the tunnel mode enables and the
 * rungs this kernel can do, their devices (and the address device when no tunnel device holds the tunnel address),
 * IPv4 forwarding, the probe responder on the tunnel address and the prober. Everything made in the kernel stays
 * when the agent stops, so that a restarted agent adopts it; {@link #close} closes the sockets and the userspace
 * device only.
 *
 * @param userspace the shared device of the userspace rungs, or null when this node does not offer them
 * @param underlayMtu the underlay device's MTU at start
 * @param podMtu the pod MTU at start
 */
record DataplaneDevices(Netlink netlink, LocalNode local, List<TunnelBackend> backends, List<PathKind> usable,
                        int underlayMtu, int podMtu, UserspaceDevice userspace, UdpEchoResponder responder,
                        UdpPathProber prober) implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DataplaneDevices.class);
    private static final Path IP_FORWARD = Path.of("/proc/sys/net/ipv4/ip_forward");

    /**
     * Makes the devices and starts answering probes.
     *
     * @throws ConfigException when the tunnel mode cannot work on this kernel or the underlay is not found
     */
    static DataplaneDevices open(AgentConfig config, MacAddress vtepMac, TaskGuard tasks) {
        Netlink netlink = Netlink.open();
        UserspaceDevice userspace = null;
        UdpEchoResponder responder = null;
        UdpPathProber prober = null;
        try {
            Underlay underlay = Underlay.resolve(config, netlink);
            LocalNode local = new LocalNode(config.nodeName(), underlay.link().name(), underlay.address(),
                    config.podCidr(), (Inet4Address) config.podCidr().address(), Optional.of(vtepMac));
            userspace = config.nat().userspace() ? new UserspaceDevice(netlink, null,
                    tunnelConfig(config.memory(), underlay.link().mtu() - UserspaceBackend.OVERHEAD_BYTES), tasks)
                    : null;
            List<TunnelBackend> backends = backends(config, netlink, userspace);
            List<PathKind> usable = usable(config, backends);
            new Reconciler(netlink, local, backends).ensureDevices();
            if (userspace != null && usable.contains(PathKind.DIRECT)) {
                userspace.ensure(local);
            }
            if (!usable.contains(PathKind.VXLAN) && !usable.contains(PathKind.IPIP)) {
                ensureAddressDevice(netlink, local);
            }
            int podMtu = MtuCalculator.forBackends(backends, 0).podMtu(underlay.link().mtu(), usable);
            enableForwarding();
            responder = UdpEchoResponder.start(local.tunnelAddress(), UdpEchoResponder.DEFAULT_PORT);
            prober = UdpPathProber.open(UdpEchoResponder.DEFAULT_PORT, config.timeouts().probeTimeout());
            LOG.info("data plane ready: underlay {} {} mtu {}, pod mtu {}, paths {} (node={}, backend={})",
                    underlay.link().name(), underlay.address().getHostAddress(), underlay.link().mtu(), podMtu,
                    usable, config.nodeName(), config.tunnelMode());
            return new DataplaneDevices(netlink, local, backends, usable, underlay.link().mtu(), podMtu, userspace,
                    responder, prober);
        } catch (RuntimeException e) {
            closeQuietly(prober);
            closeQuietly(responder);
            closeQuietly(userspace);
            netlink.close();
            throw e;
        }
    }

    /** The userspace path's limits: derived from direct memory, with what the config sets instead. */
    static TunnelConfig tunnelConfig(AgentConfig.Memory memory, int mtu) {
        TunnelConfig d = TunnelConfig.defaults(mtu);
        long total = memory.tunnelTotalBytes().orElse(Math.max(d.totalQueueBytes(),
                memory.tunnelPeerBytes().orElse(0)));
        int peer = (int) memory.tunnelPeerBytes().orElse(Math.min(d.peerQueueBytes(), total));
        return d.withMemory(peer, total);
    }

    private static List<TunnelBackend> backends(AgentConfig config, Netlink netlink, UserspaceDevice userspace) {
        List<TunnelBackend> out = new ArrayList<>();
        for (PathKind k : config.tunnelMode().paths()) {
            switch (k) {
                case HOSTGW -> out.add(new HostGwBackend(netlink));
                case IPIP -> out.add(new IpipBackend(netlink));
                case VXLAN -> out.add(new VxlanBackend(netlink));
                default -> throw new IllegalStateException("no kernel backend for " + k);
            }
        }
        if (userspace != null) {
            out.add(new UserspaceBackend(PathKind.DIRECT, netlink, userspace));
            out.add(new UserspaceBackend(PathKind.RELAYED, netlink, userspace));
        }
        return out;
    }

    /** The enabled rungs this kernel can do; a forced mode the kernel cannot do is a config error. */
    private static List<PathKind> usable(AgentConfig config, List<TunnelBackend> backends) {
        List<PathKind> out = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (TunnelBackend b : backends) {
            if (b.available().ok()) {
                out.add(b.kind());
            } else {
                refused.add(b.available().reason());
            }
        }
        if (out.isEmpty()) {
            throw new ConfigException("tunnelMode", config.tunnelMode() + " cannot work here: "
                    + String.join("; ", refused) + " (use auto, or another mode)");
        }
        return out;
    }

    /** A dummy device holding the tunnel address (/32), so that probes to it are answered. Idempotent. */
    private static void ensureAddressDevice(Netlink netlink, LocalNode local) {
        Link link = netlink.findLink(NodeDataplane.ADDRESS_DEVICE)
                .orElseGet(() -> netlink.createLink(new LinkSpec.Dummy(NodeDataplane.ADDRESS_DEVICE)));
        LinkAddress want = new LinkAddress(link.index(), local.tunnelHostPrefix());
        if (!netlink.addresses(link.index()).contains(want)) {
            netlink.addAddress(want);
        }
        if (!link.up()) {
            netlink.setUp(link.index(), true);
        }
    }

    /** Pods' packets are forwarded by this node: IPv4 forwarding must be on. */
    private static void enableForwarding() {
        try {
            if (!"1".equals(Files.readString(IP_FORWARD, StandardCharsets.US_ASCII).trim())) {
                Files.writeString(IP_FORWARD, "1\n", StandardCharsets.US_ASCII);
                LOG.info("IPv4 forwarding turned on (net.ipv4.ip_forward=1)");
            }
        } catch (IOException e) {
            LOG.warn("cannot turn on IPv4 forwarding: {}; pods will not reach other nodes", e.getMessage());
        }
    }

    /** Closes the probe sockets, the userspace device and the netlink socket; kernel objects stay. */
    @Override
    public void close() {
        closeQuietly(prober);
        closeQuietly(responder);
        closeQuietly(userspace);
        netlink.close();
    }

    static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.debug("closing {}: {}", c.getClass().getSimpleName(), e.toString());
        }
    }
}
