package dev.edgelink.cni;

import dev.edgelink.net.IpPrefix;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * An ADD success result (SPEC.md 1.1.0, section 5), independent of the version it is written in; the codec writes
 * the fields each version has. Optional numbers are {@code null} when absent.
 */
public record CniResult(String cniVersion, List<Interface> interfaces, List<IpConfig> ips, List<RouteEntry> routes,
                        Dns dns) {
    public CniResult {
        Objects.requireNonNull(cniVersion, "cniVersion");
        interfaces = List.copyOf(interfaces == null ? List.of() : interfaces);
        ips = List.copyOf(ips == null ? List.of() : ips);
        routes = List.copyOf(routes == null ? List.of() : routes);
    }

    /**
     * An interface the attachment made.
     *
     * @param sandbox the netns path for an interface in the pod, or {@code null} on the host
     */
    public record Interface(String name, String mac, Integer mtu, String sandbox, String socketPath, String pciId) {
        public Interface {
            Objects.requireNonNull(name, "name");
        }
    }

    /**
     * An address given to an interface.
     *
     * @param interfaceIndex index into {@link #interfaces()}, or {@code null}
     */
    public record IpConfig(IpPrefix address, InetAddress gateway, Integer interfaceIndex) {
        public IpConfig {
            Objects.requireNonNull(address, "address");
        }
    }

    /** A route the attachment made ({@code gw} {@code null}: use the IP's gateway). */
    public record RouteEntry(IpPrefix dst, InetAddress gw, Integer mtu, Integer advmss, Integer priority,
                             Integer table, Integer scope) {
        public RouteEntry {
            Objects.requireNonNull(dst, "dst");
        }

        public static RouteEntry of(IpPrefix dst, InetAddress gw) {
            return new RouteEntry(dst, gw, null, null, null, null, null);
        }
    }

    /** DNS settings, copied from the configuration's {@code dns}. */
    public record Dns(List<String> nameservers, String domain, List<String> search, List<String> options) {
        public Dns {
            nameservers = List.copyOf(nameservers == null ? List.of() : nameservers);
            search = List.copyOf(search == null ? List.of() : search);
            options = List.copyOf(options == null ? List.of() : options);
        }

        public boolean isEmpty() {
            return nameservers.isEmpty() && domain == null && search.isEmpty() && options.isEmpty();
        }
    }

    /** The same result labelled with another version. */
    public CniResult withVersion(String version) {
        return new CniResult(version, interfaces, ips, routes, dns);
    }
}
