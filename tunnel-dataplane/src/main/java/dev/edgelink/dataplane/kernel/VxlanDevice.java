package dev.edgelink.dataplane.kernel;

import dev.edgelink.dataplane.netlink.Link;
import dev.edgelink.dataplane.netlink.LinkSpec;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.netlink.VxlanConfig;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's one VXLAN device, in flannel's v0.9+ scheme: {@code edgelink.vxlan}, VNI 1, UDP port 8472, no
 * learning, bound to the underlay address and device. Remote nodes are reached through one route, one permanent
 * neighbour and one FDB entry each ({@link RouteTable}, {@link NeighborTable}, {@link FdbTable}), so the kernel
 * never has to learn or miss anything: linear state, no L2/L3-miss daemon.
 *
 * <p>{@link #ensure()} is idempotent: a device that exists with the same VNI, local address, underlay device, port
 * and learning is kept (its MAC, the VTEP MAC other nodes know, stays); any difference is logged at WARN and the
 * device replaced. Replacing drops the routes, neighbours and FDB entries on it; the reconciler puts them back.
 */
public final class VxlanDevice {
    public static final String DEFAULT_NAME = "edgelink.vxlan";
    public static final int DEFAULT_VNI = 1;
    /** flannel's port (the Linux default before IANA assigned 4789); keeps us interoperable with its scheme. */
    public static final int DEFAULT_PORT = 8472;
    private static final Logger LOG = LoggerFactory.getLogger(VxlanDevice.class);

    /**
     * @param name device name
     * @param vni VXLAN network identifier
     * @param local this node's underlay address
     * @param underlayDevice name of the underlay device the address is on
     * @param port UDP port
     * @param mtu device MTU, or 0 to keep the kernel's (underlay MTU - 50)
     */
    public record Config(String name, int vni, Inet4Address local, String underlayDevice, int port, int mtu) {
        public Config {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(local, "local");
            Objects.requireNonNull(underlayDevice, "underlayDevice");
        }

        /** flannel's defaults: {@code edgelink.vxlan}, VNI 1, port 8472, kernel MTU. */
        public static Config defaults(Inet4Address local, String underlayDevice) {
            return new Config(DEFAULT_NAME, DEFAULT_VNI, local, underlayDevice, DEFAULT_PORT, 0);
        }
    }

    private final Netlink netlink;
    private final Config config;

    public VxlanDevice(Netlink netlink, Config config) {
        this.netlink = Objects.requireNonNull(netlink, "netlink");
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * Makes the device exist, compatible, at the wanted MTU and up; returns it (its MAC is this node's VTEP MAC).
     *
     * @throws dev.edgelink.dataplane.netlink.NoSuchObjectException if the underlay device does not exist
     */
    public Link ensure() {
        Link underlay = netlink.getLink(config.underlayDevice());
        VxlanConfig want = new VxlanConfig(config.vni(), config.local(), underlay.index(), config.port(), false, 0);
        LinkSpec.Vxlan spec = new LinkSpec.Vxlan(config.name(), want);
        return LinkEnsurer.ensure(netlink, spec, have -> differences(have, want), config.mtu(), LOG);
    }

    /** The config this device is ensured with. */
    public Config config() {
        return config;
    }

    static List<String> differences(Link have, VxlanConfig want) {
        List<String> out = new ArrayList<>();
        LinkEnsurer.compare(out, "kind", have.kind(), "vxlan");
        VxlanConfig h = have.vxlan();
        if (h == null) {
            return out;
        }
        LinkEnsurer.compare(out, "VNI", h.vni(), want.vni());
        LinkEnsurer.compare(out, "local", h.local(), want.local());
        LinkEnsurer.compare(out, "underlay ifindex", h.underlayIndex(), want.underlayIndex());
        LinkEnsurer.compare(out, "port", h.port(), want.port());
        LinkEnsurer.compare(out, "learning", h.learning(), want.learning());
        return out;
    }
}
