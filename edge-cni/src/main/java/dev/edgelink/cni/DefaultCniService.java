package dev.edgelink.cni;

import dev.edgelink.cni.internal.Addresses;
import dev.edgelink.cni.internal.ipam.Allocation;
import dev.edgelink.cni.internal.ipam.IpPool;
import dev.edgelink.cni.internal.ipam.IpamStore;
import dev.edgelink.cni.internal.pod.PodNetwork;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's CNI service: IPAM from the node's pod CIDR ({@code IpamStore}) plus the pod's veth
 * ({@code PodNetwork}). The agent constructs it with what it knows (pod CIDR, the pod MTU it computes, where the
 * IPAM store lives, the node's netns) and embeds it in a {@link CniServer}.
 *
 * <p>ADD allocates first, then plumbs; if plumbing fails the allocation is released, so a failed ADD leaves
 * nothing (unless the attachment already held the address before this ADD: a retried ADD whose pod may still
 * use it keeps it, and the DEL that must follow releases it). DEL removes the veth first, then releases the
 * address, so an address is never handed out while still configured; a failed DEL keeps the allocation and the
 * runtime's retry finishes it. IPv4 pod CIDRs only (the IPAM
 * store also does IPv6; the veth setup does not yet).
 */
public final class DefaultCniService implements CniService, AutoCloseable {
    /** Where the agent keeps the IPAM store unless told otherwise. */
    public static final Path DEFAULT_IPAM_DIRECTORY = Path.of("/var/lib/edgelink/ipam");
    private static final Logger LOG = LoggerFactory.getLogger(DefaultCniService.class);

    private final IpPool pool;
    private final IntSupplier podMtu;
    private final IpamStore ipam;
    private final PodNetwork pods;

    /**
     * @param podCidr the node's IPv4 pod CIDR (e.g. {@code 10.244.1.0/24}; /30 or larger)
     * @param podMtu the pod MTU as the agent computes it now (read on every ADD; a conflist {@code mtu} wins)
     * @param ipamDirectory the IPAM store's directory (one per pod CIDR and node)
     * @param node a netlink socket in the node's netns (the caller keeps and closes it)
     * @param nodeNamespace the nsfs path of the node's netns
     */
    public DefaultCniService(IpPrefix podCidr, IntSupplier podMtu, Path ipamDirectory, Netlink node,
                             Path nodeNamespace) {
        if (!PodNetwork.supports(podCidr.address())) {
            throw new IllegalArgumentException("pod CIDR " + podCidr + ": only IPv4 pod CIDRs are supported yet");
        }
        this.pool = new IpPool(podCidr);
        this.podMtu = Objects.requireNonNull(podMtu, "podMtu");
        this.ipam = IpamStore.open(ipamDirectory, pool);
        this.pods = new PodNetwork(node, nodeNamespace);
    }

    /** For the agent in the host's netns: {@link Netlink#open()} (caller closes it) and {@code /proc/self/ns/net}. */
    public static DefaultCniService inProcessNamespace(IpPrefix podCidr, IntSupplier podMtu, Path ipamDirectory,
                                                       Netlink node) {
        return new DefaultCniService(podCidr, podMtu, ipamDirectory, node, Path.of("/proc/self/ns/net"));
    }

    public IpPrefix podCidr() {
        return pool.cidr();
    }

    @Override
    public CniResult add(CniRequest request) {
        PluginConfig config = request.config();
        Path netns = Path.of(request.netns());
        if (!Files.exists(netns)) {
            throw new CniException(CniErrorCode.UNKNOWN_CONTAINER, "network namespace " + netns + " does not exist",
                    "the container is gone; nothing was set up");
        }
        int mtu = config.mtu() > 0 ? config.mtu() : podMtu.getAsInt();
        if (mtu < PluginConfig.MIN_MTU || mtu > PluginConfig.MAX_MTU) {
            throw new CniException(CniErrorCode.INTERNAL, "the agent's pod MTU " + mtu + " is out of range", "");
        }
        InetAddress wanted = config.requestedIp() != null ? config.requestedIp() : request.args().ip();
        MacAddress mac = config.requestedMac() != null ? config.requestedMac() : request.args().mac();
        long start = System.nanoTime();
        boolean retried = ipam.find(request.containerId(), request.ifname()).isPresent();
        Allocation allocation = ipam.allocate(config.name(), request.containerId(), request.ifname(), wanted);
        long allocated = System.nanoTime();
        PodNetwork.Attached attached;
        try {
            attached = pods.add(new PodNetwork.Spec(request.containerId(), netns, request.ifname(),
                    pool.podAddress(allocation.address()), pool.gateway(), mtu, mac));
        } catch (RuntimeException e) {
            if (!retried) {
                ipam.release(request.containerId(), request.ifname());
            }
            throw e;
        }
        long plumbed = System.nanoTime();
        LOG.info("pod {} attached: {} {} (ipam {} ms, veth and routes {} ms)", request.containerId(),
                request.ifname(), Addresses.format(allocation.address()), millis(allocated - start),
                millis(plumbed - allocated));
        return result(config, request, allocation, attached);
    }

    private CniResult result(PluginConfig config, CniRequest request, Allocation allocation,
                             PodNetwork.Attached attached) {
        CniResult prev = config.prevResult();
        List<CniResult.Interface> interfaces = new ArrayList<>(prev == null ? List.of() : prev.interfaces());
        List<CniResult.IpConfig> ips = new ArrayList<>(prev == null ? List.of() : prev.ips());
        List<CniResult.RouteEntry> routes = new ArrayList<>(prev == null ? List.of() : prev.routes());
        interfaces.add(new CniResult.Interface(attached.hostName(), str(attached.hostMac()), attached.mtu(), null,
                null, null));
        interfaces.add(new CniResult.Interface(attached.podName(), str(attached.podMac()), attached.mtu(),
                request.netns(), null, null));
        ips.add(new CniResult.IpConfig(pool.podAddress(allocation.address()), pool.gateway(),
                interfaces.size() - 1));
        routes.add(CniResult.RouteEntry.of(Addresses.network(new IpPrefix(pool.gateway(), 0)), pool.gateway()));
        CniResult.Dns dns = config.dns() != null ? config.dns() : prev == null ? null : prev.dns();
        return new CniResult(config.cniVersion(), interfaces, ips, routes, dns);
    }

    private static String millis(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e6);
    }

    private static String str(MacAddress mac) {
        return mac == null ? null : mac.toString();
    }

    @Override
    public void del(CniRequest request) {
        Path netns = request.netns().isEmpty() ? null : Path.of(request.netns());
        pods.del(request.containerId(), request.ifname(), netns);
        if (ipam.release(request.containerId(), request.ifname())) {
            LOG.info("pod {} detached: {} released", request.containerId(), request.ifname());
        }
    }

    @Override
    public void check(CniRequest request) {
        CniResult prev = request.config().prevResult();
        CniResult.IpConfig ip = ourIp(prev, request.ifname());
        List<String> problems = new ArrayList<>();
        ipam.find(request.containerId(), request.ifname()).ifPresentOrElse(a -> {
            if (!a.address().equals(ip.address().address())) {
                problems.add("IPAM holds " + Addresses.format(a.address()) + " for this attachment, prevResult says "
                        + Addresses.format(ip.address()));
            }
        }, () -> problems.add("IPAM holds no address for " + request.containerId() + "/" + request.ifname()));
        CniResult.Interface podIf = prev.interfaces().get(ip.interfaceIndex());
        MacAddress mac = podIf.mac() == null ? null : MacAddress.parse(podIf.mac());
        problems.addAll(pods.check(new PodNetwork.Spec(request.containerId(), Path.of(request.netns()),
                request.ifname(), ip.address(), ip.gateway() == null ? pool.gateway() : ip.gateway(),
                podIf.mtu() == null ? 0 : podIf.mtu(), mac)));
        if (!problems.isEmpty()) {
            throw new CniException(CniErrorCode.CHECK_FAILED, "pod network of " + request.containerId()
                    + " is not as ADD left it", String.join("; ", problems));
        }
    }

    /** The IP of prevResult on the pod interface named {@code ifname} (code 7 if prevResult has none). */
    private static CniResult.IpConfig ourIp(CniResult prev, String ifname) {
        for (CniResult.IpConfig ip : prev.ips()) {
            Integer i = ip.interfaceIndex();
            if (i != null && prev.interfaces().get(i).name().equals(ifname)
                    && prev.interfaces().get(i).sandbox() != null) {
                return ip;
            }
        }
        throw CniException.badConfig("prevResult", "has no IP on a sandbox interface named " + ifname);
    }

    @Override
    public void status(CniRequest request) {
        BigInteger free = ipam.free();
        if (free.signum() <= 0) {
            throw new CniException(CniErrorCode.NOT_AVAILABLE, "no free address in pod CIDR "
                    + Addresses.format(pool.cidr()), "ADD would fail until pods are deleted");
        }
    }

    @Override
    public void gc(CniRequest request) {
        List<Allocation> released = ipam.gc(request.config().name(),
                new HashSet<>(request.config().validAttachments()));
        for (Allocation a : released) {
            LOG.info("GC released {} of {}/{} (network {})", Addresses.format(a.address()),
                    a.ownerKnown() ? a.containerId() : "an unfinished allocation", a.ifname(), a.network());
        }
    }

    /** Stops the pod-network thread. The node netlink socket belongs to the caller. */
    @Override
    public void close() {
        pods.close();
    }
}
