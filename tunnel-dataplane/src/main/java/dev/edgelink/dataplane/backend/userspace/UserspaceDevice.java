package dev.edgelink.dataplane.backend.userspace;

import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.Verdict;
import dev.edgelink.dataplane.netlink.Link;
import dev.edgelink.dataplane.netlink.LinkAddress;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.tun.TunDevice;
import dev.edgelink.dataplane.tun.TunUnavailableException;
import dev.edgelink.dataplane.tunnel.TunnelConfig;
import dev.edgelink.dataplane.tunnel.TunnelService;
import dev.edgelink.dataplane.tunnel.TunnelStreamSink;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.threads.TaskGuard;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one TUN device and {@link TunnelService} that both userspace rungs (direct and relayed) share: which
 * connection a peer's stream runs over is the agent's business, the device and the packet path are the same.
 * Made on the first {@link #ensure}, made again if the device vanished (deleted by hand: the peers' streams are
 * reset with the old service, and the agent opens them again), closed by {@link #close}. Serve the tunnel protocol
 * with this object ({@link #attach}), not with a service, so that inbound streams reach the current one.
 */
public final class UserspaceDevice implements TunnelStreamSink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UserspaceDevice.class);
    private static final String SCRATCH = "elprobe.tun";

    private final Netlink netlink;
    private final Path namespace;
    private final TunnelConfig config;
    private final TaskGuard tasks;
    private volatile Verdict availability;
    private volatile TunnelService service;
    private volatile Link link;
    private final AtomicLong restarts = new AtomicLong();
    private volatile Consumer<String> demandListener;

    /**
     * @param netlink a socket in the namespace the device belongs to
     * @param namespace that namespace's nsfs path ({@code /run/netns/NAME}), or null for the caller's own
     */
    public UserspaceDevice(Netlink netlink, Path namespace, TunnelConfig config) {
        this(netlink, namespace, config, new TaskGuard());
    }

    /** @param tasks counts the failures of the data path's timer tasks (keepalives, probe timeouts) */
    public UserspaceDevice(Netlink netlink, Path namespace, TunnelConfig config, TaskGuard tasks) {
        this.netlink = Objects.requireNonNull(netlink, "netlink");
        this.namespace = namespace;
        this.config = Objects.requireNonNull(config, "config");
        this.tasks = Objects.requireNonNull(tasks, "tasks");
    }

    /** Whether a TUN device can be made here: tried once with a scratch device, remembered. */
    public synchronized Verdict available() {
        if (availability == null) {
            try {
                open(SCRATCH, false).close();
                availability = Verdict.yes("TUN devices available");
            } catch (TunUnavailableException e) {
                LOG.info("userspace paths unavailable: {} backend=userspace", e.getMessage());
                availability = Verdict.no("userspace unavailable: " + e.getMessage());
            }
        }
        return availability;
    }

    private TunDevice open(String name, boolean vnet) {
        return namespace == null ? TunDevice.open(name, vnet) : TunDevice.openIn(namespace, name, vnet);
    }

    /**
     * Makes the device exist, with the configured MTU, {@code local}'s tunnel address (/32) and up, and the data
     * path running. Idempotent.
     *
     * @throws TunUnavailableException when no TUN device can be made
     */
    public synchronized Link ensure(LocalNode local) {
        Optional<Link> existing = netlink.findLink(config.deviceName());
        if (service != null && existing.isEmpty()) {
            LOG.warn("device {} vanished; making it again backend=userspace", config.deviceName());
            restart();
        } else if (service != null && service.readerStopped()) {
            // the reader ends only when the device failed under it (its other failures end the process): the
            // device is useless now, and a new one with a new reader is what a restart of the agent would make
            LOG.warn("the TUN reader of {} stopped; the data path starts again on a new device backend=userspace",
                    config.deviceName());
            restart();
        }
        if (service == null) {
            service = TunnelService.start(config, local.nodeName(), open(config.deviceName(), config.offloads()),
                    System::nanoTime, tasks);
            service.setDemandListener(demandListener);
        }
        Link l = netlink.getLink(config.deviceName());
        if (l.mtu() != config.mtu()) {
            netlink.setMtu(l.index(), config.mtu());
        }
        LinkAddress want = new LinkAddress(l.index(), local.tunnelHostPrefix());
        if (!netlink.addresses(l.index()).contains(want)) {
            netlink.addAddress(want);
        }
        if (!l.up()) {
            netlink.setUp(l.index(), true);
        }
        link = netlink.getLink(config.deviceName());
        return link;
    }

    /** Hands the stream to the current service; resets it while there is none (before {@link #ensure}). */
    @Override
    public void attach(String nodeName, MuxedStream stream) {
        TunnelService s = service;
        if (s == null) {
            LOG.warn("tunnel stream refused: the userspace device is not up peer={}", nodeName);
            stream.reset();
            return;
        }
        s.attach(nodeName, stream);
    }

    /** The demand listener of the data path now and of every one started later (see TunnelService). */
    public synchronized void setDemandListener(Consumer<String> listener) {
        demandListener = listener;
        TunnelService s = service;
        if (s != null) {
            s.setDemandListener(listener);
        }
    }

    private void restart() {
        service.close();
        service = null;
        restarts.incrementAndGet();
    }

    /** Times the data path was started again because its device vanished or its reader stopped. */
    public long restarts() {
        return restarts.get();
    }

    /** The running data path; empty before {@link #ensure}. */
    public Optional<TunnelService> service() {
        return Optional.ofNullable(service);
    }

    /** The device as last ensured. */
    Link link() {
        Link l = link;
        if (l == null) {
            throw new IllegalStateException("userspace: ensureDevice has not run");
        }
        return l;
    }

    public TunnelConfig config() {
        return config;
    }

    /** Stops the data path; the kernel deletes the device and its routes with it. */
    @Override
    public synchronized void close() {
        if (service != null) {
            service.close();
            service = null;
            link = null;
        }
    }
}
