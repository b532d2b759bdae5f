package dev.edgelink.cni.internal.pod;

import dev.edgelink.cni.CniErrorCode;
import dev.edgelink.cni.CniException;
import dev.edgelink.cni.internal.Addresses;
import dev.edgelink.dataplane.DataplaneException;
import dev.edgelink.dataplane.netlink.Link;
import dev.edgelink.dataplane.netlink.LinkAddress;
import dev.edgelink.dataplane.netlink.LinkSpec;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.netlink.NetlinkTransportException;
import dev.edgelink.dataplane.netlink.NoSuchObjectException;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pod's veth, point to point as the reference ptp plugin does it (facts, not code):
 *
 * <pre>
 *   pod netns                                node netns
 *   IFNAME  10.244.1.7/32  mtu M             elkXXXXXXXXXXX  10.244.1.1/32 (the gateway)  mtu M
 *     default via 10.244.1.1 dev IFNAME        10.244.1.7 dev elkXXXXXXXXXXX scope link proto 69
 *             onlink proto 69
 * </pre>
 *
 * The pair is created inside the pod's netns with the pod end already named IFNAME and the host end then moved to
 * the node's netns (the netlink module has no rename, and creating it on the node first would collide with the
 * node's own {@code eth0}). The host end's name is {@code elk} + 11 hex digits of SHA-256(container id, ifname):
 * deterministic, so DEL finds it without any state, and distinct per attachment.
 *
 * <p>All work runs on one dedicated platform thread; the pod's netns is reached through a netlink socket made in
 * it ({@link Netlink#openInNamespace}), so no thread of ours ever changes namespace. Partial failure: ADD undoes
 * every step it made (deleting the veth takes its peer, addresses and routes with it) before it throws. DEL is
 * idempotent: a missing netns or link is success. Only veths are ever deleted, and on the node only ours (by
 * name).
 */
public final class PodNetwork implements AutoCloseable {
    public static final String HOST_PREFIX = "elk";
    private static final Logger LOG = LoggerFactory.getLogger(PodNetwork.class);

    private final Netlink node;
    private final Path nodeNamespace;
    private final ExecutorService thread;

    /**
     * @param node a netlink socket in the node's netns
     * @param nodeNamespace the nsfs path of that same netns (where host ends are moved to), e.g.
     *     {@code /proc/self/ns/net} or {@code /run/netns/NODE}
     */
    public PodNetwork(Netlink node, Path nodeNamespace) {
        this.node = Objects.requireNonNull(node, "node");
        this.nodeNamespace = Objects.requireNonNull(nodeNamespace, "nodeNamespace");
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "edgelink-cni-pods");
            t.setDaemon(true);
            return t;
        });
    }

    /** What ADD wants in the pod. {@code mac} may be {@code null} (the kernel picks one). */
    public record Spec(String containerId, Path netns, String ifname, IpPrefix address, InetAddress gateway,
                       int mtu, MacAddress mac) {
        public Spec {
            Objects.requireNonNull(containerId, "containerId");
            Objects.requireNonNull(netns, "netns");
            Objects.requireNonNull(ifname, "ifname");
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(gateway, "gateway");
        }
    }

    /** What ADD made. */
    public record Attached(String hostName, MacAddress hostMac, String podName, MacAddress podMac, int mtu) {
    }

    /** The host end's name for an attachment. */
    public static String hostName(String containerId, String ifname) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] digest = sha.digest((containerId + "/" + ifname).getBytes(StandardCharsets.UTF_8));
            return HOST_PREFIX + HexFormat.of().formatHex(digest).substring(0, 11);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    // ---- ADD

    /** Creates and configures the pod's veth; on failure nothing of it is left and a {@link CniException}. */
    public Attached add(Spec spec) {
        return onThread(() -> {
            requirePodNamespace(spec.netns());
            try (Netlink pod = openPod(spec.netns())) {
                if (pod.findLink(spec.ifname()).isPresent()) {
                    throw new CniException(CniErrorCode.INTERFACE_EXISTS, "interface " + spec.ifname()
                            + " already exists in " + spec.netns(), "delete it, or ask for another CNI_IFNAME");
                }
                String hostName = hostName(spec.containerId(), spec.ifname());
                removeStaleHostEnd(hostName);
                try {
                    return plumb(pod, spec, hostName);
                } catch (RuntimeException e) {
                    undo(pod, spec.ifname(), hostName);
                    throw asCni(e, "setting up " + spec.ifname() + " in " + spec.netns());
                }
            }
        });
    }

    private Attached plumb(Netlink pod, Spec spec, String hostName) {
        Link created = pod.createLink(new LinkSpec.VethPair(spec.ifname(), hostName));
        pod.setNamespace(pod.getLink(hostName).index(), nodeNamespace);
        Link host = node.getLink(hostName);
        node.setMtu(host.index(), spec.mtu());
        node.addAddress(new LinkAddress(host.index(), IpPrefix.host(spec.gateway())));
        node.setUp(host.index(), true);
        node.addRoute(Route.direct(IpPrefix.host(spec.address().address()), host.index()));

        pod.setMtu(created.index(), spec.mtu());
        if (spec.mac() != null) {
            pod.setAddress(created.index(), spec.mac());
        }
        pod.addAddress(new LinkAddress(created.index(), spec.address()));
        pod.setUp(created.index(), true);
        pod.addRoute(Route.onlinkVia(defaultRoute(spec.gateway()), spec.gateway(), created.index()));
        Link podLink = pod.getLink(spec.ifname());
        Link hostLink = node.getLink(hostName);
        LOG.info("pod {} attached: {} {} in {}, host end {} (mtu {})", spec.containerId(), spec.ifname(),
                Addresses.format(spec.address()), spec.netns(), hostName, spec.mtu());
        return new Attached(hostName, hostLink.address(), spec.ifname(), podLink.address(), podLink.mtu());
    }

    private void removeStaleHostEnd(String hostName) {
        Optional<Link> stale = node.findLink(hostName);
        if (stale.isPresent() && "veth".equals(stale.get().kind())) {
            LOG.warn("{} is left over from an earlier attachment of the same container and ifname; deleting it",
                    hostName);
            deleteQuietly(node, stale.get());
        }
    }

    private void undo(Netlink pod, String ifname, String hostName) {
        try {
            pod.findLink(ifname).filter(l -> "veth".equals(l.kind())).ifPresent(l -> deleteQuietly(pod, l));
        } catch (DataplaneException e) {
            LOG.warn("undo: could not remove {} in the pod: {}", ifname, e.getMessage());
        }
        try {
            node.findLink(hostName).filter(l -> "veth".equals(l.kind())).ifPresent(l -> deleteQuietly(node, l));
        } catch (DataplaneException e) {
            LOG.warn("undo: could not remove {} on the node: {}", hostName, e.getMessage());
        }
    }

    // ---- DEL

    /**
     * Removes the attachment's veth (both ends, with their addresses and routes). {@code netns} may be {@code null}
     * or gone. Missing things are success; a kernel refusal is code 102.
     */
    public void del(String containerId, String ifname, Path netns) {
        onThread(() -> {
            String hostName = hostName(containerId, ifname);
            try {
                node.findLink(hostName).filter(l -> "veth".equals(l.kind())).ifPresent(l -> deleteIfThere(node, l));
            } catch (DataplaneException e) {
                throw asCni(e, "removing " + hostName);
            }
            if (netns == null || !Files.exists(netns)) {
                return null;
            }
            Netlink pod;
            try {
                pod = Netlink.openInNamespace(netns);
            } catch (NetlinkTransportException e) {
                LOG.debug("netns {} cannot be entered ({}); treating it as gone", netns, e.getMessage());
                return null;
            }
            try (pod) {
                pod.findLink(ifname).filter(l -> "veth".equals(l.kind())).ifPresent(l -> deleteIfThere(pod, l));
            } catch (DataplaneException e) {
                throw asCni(e, "removing " + ifname + " in " + netns);
            }
            return null;
        });
    }

    // ---- CHECK

    /** Every way the kernel differs from {@code spec} (empty when all is as ADD left it). */
    public List<String> check(Spec spec) {
        return onThread(() -> {
            List<String> problems = new ArrayList<>();
            if (!Files.exists(spec.netns())) {
                problems.add("netns " + spec.netns() + " does not exist");
                return problems;
            }
            String hostName = hostName(spec.containerId(), spec.ifname());
            try (Netlink pod = openPod(spec.netns())) {
                checkPod(pod, spec, problems);
            }
            Optional<Link> host = node.findLink(hostName);
            if (host.isEmpty() || !"veth".equals(host.get().kind())) {
                problems.add("host end " + hostName + " is missing on the node");
                return problems;
            }
            if (!host.get().up()) {
                problems.add("host end " + hostName + " is down");
            }
            IpPrefix podHost = IpPrefix.host(spec.address().address());
            boolean routed = node.routes(Route.TABLE_MAIN, -1).stream().anyMatch(r -> r.destination().equals(podHost)
                    && r.outputLink() == host.get().index());
            if (!routed) {
                problems.add("node has no route " + Addresses.format(podHost) + " dev " + hostName);
            }
            return problems;
        });
    }

    private static void checkPod(Netlink pod, Spec spec, List<String> problems) {
        Optional<Link> link = pod.findLink(spec.ifname());
        if (link.isEmpty()) {
            problems.add("interface " + spec.ifname() + " is missing in " + spec.netns());
            return;
        }
        Link l = link.get();
        if (!l.up()) {
            problems.add(spec.ifname() + " is down");
        }
        if (spec.mtu() > 0 && l.mtu() != spec.mtu()) {
            problems.add(spec.ifname() + " has mtu " + l.mtu() + ", want " + spec.mtu());
        }
        if (spec.mac() != null && !spec.mac().equals(l.address())) {
            problems.add(spec.ifname() + " has mac " + l.address() + ", want " + spec.mac());
        }
        if (!pod.addresses(l.index()).contains(new LinkAddress(l.index(), spec.address()))) {
            problems.add(spec.ifname() + " lacks address " + Addresses.format(spec.address()));
        }
        IpPrefix any = defaultRoute(spec.gateway());
        boolean routed = pod.routes(Route.TABLE_MAIN, -1).stream().anyMatch(r -> r.destination().equals(any)
                && spec.gateway().equals(r.gateway()) && r.outputLink() == l.index());
        if (!routed) {
            problems.add("pod has no default route via " + Addresses.format(spec.gateway()) + " dev "
                    + spec.ifname());
        }
    }

    // ---- helpers

    private void requirePodNamespace(Path netns) {
        if (!Files.exists(netns)) {
            throw new CniException(CniErrorCode.UNKNOWN_CONTAINER, "network namespace " + netns + " does not exist",
                    "the container is gone; nothing was set up");
        }
        if (sameFile(netns, nodeNamespace)) {
            throw CniException.badEnvironment("CNI_NETNS", "is the node's own network namespace (" + netns + ")");
        }
    }

    private static Netlink openPod(Path netns) {
        try {
            return Netlink.openInNamespace(netns);
        } catch (NetlinkTransportException e) {
            throw new CniException(CniErrorCode.UNKNOWN_CONTAINER, "cannot enter network namespace " + netns,
                    e.getMessage(), e);
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.readAttributes(a, "unix:dev,ino").equals(Files.readAttributes(b, "unix:dev,ino"));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static IpPrefix defaultRoute(InetAddress gateway) {
        return Addresses.network(new IpPrefix(gateway, 0));
    }

    private static void deleteIfThere(Netlink netlink, Link link) {
        try {
            netlink.deleteLink(link.index());
        } catch (NoSuchObjectException expected) {
            // gone already (the peer's deletion took it): what DEL wants
        }
    }

    private static void deleteQuietly(Netlink netlink, Link link) {
        try {
            netlink.deleteLink(link.index());
        } catch (DataplaneException e) {
            LOG.warn("could not delete {}: {}", link.name(), e.getMessage());
        }
    }

    private static CniException asCni(RuntimeException e, String doing) {
        if (e instanceof CniException) {
            return (CniException) e;
        }
        if (e instanceof DataplaneException) {
            return new CniException(CniErrorCode.KERNEL_REFUSED, "kernel refused " + doing, e.getMessage(), e);
        }
        return new CniException(CniErrorCode.INTERNAL, "bug while " + doing, String.valueOf(e), e);
    }

    private <T> T onThread(Callable<T> task) {
        Future<T> f = thread.submit(task);
        try {
            return f.get();
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new CniException(CniErrorCode.TRY_AGAIN_LATER, "interrupted", "the agent is shutting down", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException) {
                throw asCni((RuntimeException) c, "working on pod networks");
            }
            if (c instanceof Error) {
                throw (Error) c; // as if on the caller's thread: fatal (see the agent's FatalThreadHandler)
            }
            throw new CniException(CniErrorCode.INTERNAL, "bug in pod network work", String.valueOf(c), c);
        }
    }

    /** Whether an address is IPv4 (the only family whose host side PodNetwork sets up today). */
    public static boolean supports(InetAddress address) {
        return address instanceof Inet4Address;
    }

    /** Stops the thread (work in progress finishes first). The node netlink socket belongs to the caller. */
    @Override
    public void close() {
        thread.shutdown();
    }
}
