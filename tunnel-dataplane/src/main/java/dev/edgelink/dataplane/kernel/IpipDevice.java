package dev.edgelink.dataplane.kernel;

import dev.edgelink.dataplane.netlink.IpipConfig;
import dev.edgelink.dataplane.netlink.KernelFeatureMissingException;
import dev.edgelink.dataplane.netlink.Link;
import dev.edgelink.dataplane.netlink.LinkSpec;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.netlink.NetlinkException;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's one IP-in-IP device, {@code edgelink.ipip}, as flannel's ipip backend: point-to-multipoint (no fixed
 * remote), outer source the underlay address; each remote node is one {@code onlink} route via its underlay
 * address. 20 bytes of overhead instead of VXLAN's 50, but needs the ipip module, which many edge kernels (ours
 * included) lack.
 *
 * <p>Where the kernel has no ipip, {@link #ensure()} throws {@link KernelFeatureMissingException} ("kernel has no
 * ipip support (EOPNOTSUPP creating edgelink.ipip); falling back") after making sure nothing named
 * {@code edgelink.ipip} is left; the path selector then uses VXLAN.
 */
public final class IpipDevice {
    public static final String DEFAULT_NAME = "edgelink.ipip";
    private static final Logger LOG = LoggerFactory.getLogger(IpipDevice.class);

    /**
     * @param name device name
     * @param local this node's underlay address
     * @param mtu device MTU, or 0 for the kernel's (underlay MTU - 20)
     */
    public record Config(String name, Inet4Address local, int mtu) {
        public Config {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(local, "local");
        }

        public static Config defaults(Inet4Address local) {
            return new Config(DEFAULT_NAME, local, 0);
        }
    }

    private final Netlink netlink;
    private final Config config;

    public IpipDevice(Netlink netlink, Config config) {
        this.netlink = Objects.requireNonNull(netlink, "netlink");
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * Makes the device exist, compatible and up; returns it.
     *
     * @throws KernelFeatureMissingException when this kernel has no ipip; nothing is left behind
     */
    public Link ensure() {
        IpipConfig want = new IpipConfig(config.local(), null, 0, 0);
        LinkSpec.Ipip spec = new LinkSpec.Ipip(config.name(), want);
        try {
            return LinkEnsurer.ensure(netlink, spec, have -> differences(have, want), config.mtu(), LOG);
        } catch (KernelFeatureMissingException e) {
            removeLeftover();
            throw new KernelFeatureMissingException(e, "ipip", config.name());
        }
    }

    private void removeLeftover() {
        try {
            netlink.findLink(config.name()).ifPresent(l -> netlink.deleteLink(l.index()));
        } catch (NetlinkException e) {
            LOG.warn("could not remove a half-made {}: {}", config.name(), e.getMessage());
        }
    }

    static List<String> differences(Link have, IpipConfig want) {
        List<String> out = new ArrayList<>();
        LinkEnsurer.compare(out, "kind", have.kind(), "ipip");
        IpipConfig h = have.ipip();
        if (h == null) {
            return out;
        }
        LinkEnsurer.compare(out, "local", h.local(), want.local());
        LinkEnsurer.compare(out, "remote", h.remote(), want.remote());
        return out;
    }
}
