package dev.edgelink.dataplane.netlink;

import java.util.Objects;

/** What {@link Netlink#createLink} makes: one record per device type we create. */
public sealed interface LinkSpec {
    /** Interface names are at most 15 bytes (IFNAMSIZ 16 with the terminating NUL). */
    int MAX_NAME_LENGTH = 15;

    String name();

    /** The rtnetlink kind string ({@code IFLA_INFO_KIND}). */
    String kind();

    /** A VXLAN device. */
    record Vxlan(String name, VxlanConfig config) implements LinkSpec {
        public Vxlan {
            checkName(name);
            Objects.requireNonNull(config, "config");
        }

        @Override
        public String kind() {
            return "vxlan";
        }
    }

    /** An IP-in-IP tunnel device. */
    record Ipip(String name, IpipConfig config) implements LinkSpec {
        public Ipip {
            checkName(name);
            Objects.requireNonNull(config, "config");
        }

        @Override
        public String kind() {
            return "ipip";
        }
    }

    /** A veth pair; both ends are created in the socket's namespace (move one with {@link Netlink#setNamespace}). */
    record VethPair(String name, String peerName) implements LinkSpec {
        public VethPair {
            checkName(name);
            checkName(peerName);
        }

        @Override
        public String kind() {
            return "veth";
        }
    }

    /** A dummy device. */
    record Dummy(String name) implements LinkSpec {
        public Dummy {
            checkName(name);
        }

        @Override
        public String kind() {
            return "dummy";
        }
    }

    private static void checkName(String name) {
        Objects.requireNonNull(name, "name");
        int bytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes > MAX_NAME_LENGTH || name.contains("/") || name.contains(" ")) {
            throw new IllegalArgumentException("not a valid interface name (1..15 bytes, no '/' or space): " + name);
        }
    }
}
