package dev.edgelink.agent.internal;

import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's open-file limit against what the libp2p host's limits let it open: one descriptor per TCP
 * connection, established ({@code libp2p.maxConnections}) or in its handshake ({@code libp2p.maxPendingHandshakes}),
 * plus {@link #RESERVE} for the rest of the agent (the JVM's own files, netlink and TUN, the CNI and status
 * sockets, mDNS). Relayed connections take none. A relay server, whose default {@code maxConnections} grows with
 * its reservations, is where the limit is met first.
 *
 * <p>The JVM raises its soft limit to the hard one at start ({@code -XX:+MaxFDLimit}, on by default), so the limit
 * seen here is the service's hard limit: systemd's {@code LimitNOFILE=}, a container runtime's {@code ulimit}.
 */
public final class OpenFiles {
    private static final Logger LOG = LoggerFactory.getLogger(OpenFiles.class);
    /** Descriptors the agent holds besides its connections, with room to spare. */
    static final int RESERVE = 256;

    private OpenFiles() {
    }

    /** Descriptors the agent may need with these host limits. */
    static long needed(int maxConnections, int maxPendingHandshakes) {
        return (long) maxConnections + maxPendingHandshakes + RESERVE;
    }

    /** The warning to log when {@code limit} is below what the host limits need, if it is. */
    static Optional<String> warning(long limit, int maxConnections, int maxPendingHandshakes) {
        long needed = needed(maxConnections, maxPendingHandshakes);
        if (limit >= needed) {
            return Optional.empty();
        }
        return Optional.of("the open-file limit is " + limit + ", below the " + needed + " that libp2p.maxConnections="
                + maxConnections + " and libp2p.maxPendingHandshakes=" + maxPendingHandshakes + " need (plus "
                + RESERVE + " for the rest of the agent): connections past it fail to be accepted or dialed. Raise "
                + "it (systemd LimitNOFILE=, ulimit -n) or lower libp2p.maxConnections");
    }

    /** This JVM's open-file limit, where the platform says. */
    static OptionalLong limit() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof UnixOperatingSystemMXBean unix ? OptionalLong.of(unix.getMaxFileDescriptorCount())
                : OptionalLong.empty();
    }

    /** Logs a warning when this JVM's open-file limit is below what the host limits need. */
    public static void check(int maxConnections, int maxPendingHandshakes) {
        OptionalLong limit = limit();
        if (limit.isPresent()) {
            warning(limit.getAsLong(), maxConnections, maxPendingHandshakes).ifPresent(LOG::warn);
        }
    }
}
