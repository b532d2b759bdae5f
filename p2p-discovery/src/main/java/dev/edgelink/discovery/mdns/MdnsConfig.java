package dev.edgelink.discovery.mdns;

import dev.edgelink.libp2p.ConfigurationException;
import java.time.Duration;
import java.util.List;

/**
 * Settings of {@link MdnsService}.
 *
 * @param interfaces the only interfaces mDNS runs on (joined, sent from, listened to); at least one
 * @param queryInterval time between two queries for {@code _p2p._udp.local}
 * @param ttl the TTL of our answers, in whole seconds
 * @param port the UDP port: 5353 (other values only make sense between our own nodes)
 * @param limits what the DNS decoder accepts
 */
public record MdnsConfig(List<String> interfaces, Duration queryInterval, Duration ttl, int port,
        DnsCodec.Limits limits) {

    public static final Duration DEFAULT_QUERY_INTERVAL = Duration.ofSeconds(10);
    public static final Duration DEFAULT_TTL = Duration.ofSeconds(120);
    public static final int MDNS_PORT = 5353;

    public MdnsConfig {
        interfaces = List.copyOf(interfaces);
        if (interfaces.isEmpty()) {
            throw new ConfigurationException("mdns: no interfaces given; name at least one to run on");
        }
        if (queryInterval.toMillis() < 100) {
            throw new ConfigurationException("mdns: queryInterval " + queryInterval + " is under 100 ms");
        }
        if (ttl.toSeconds() < 1 || ttl.toSeconds() > Integer.MAX_VALUE) {
            throw new ConfigurationException("mdns: ttl " + ttl + " must be 1 s or more");
        }
        if (port < 1 || port > 65535) {
            throw new ConfigurationException("mdns: port " + port + " is not a UDP port");
        }
    }

    /** The defaults on the given interfaces. */
    public static MdnsConfig on(List<String> interfaces) {
        return new MdnsConfig(interfaces, DEFAULT_QUERY_INTERVAL, DEFAULT_TTL, MDNS_PORT, DnsCodec.Limits.DEFAULT);
    }

    public MdnsConfig withQueryInterval(Duration interval) {
        return new MdnsConfig(interfaces, interval, ttl, port, limits);
    }
}
