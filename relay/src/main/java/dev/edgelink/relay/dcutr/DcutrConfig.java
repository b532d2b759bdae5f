package dev.edgelink.relay.dcutr;

import java.time.Duration;

/**
 * DCUtR limits and timings.
 *
 * @param maxRounds CONNECT/SYNC/dial rounds per punch (the spec: 3)
 * @param dialWindow how long one round keeps dialing
 * @param retryInterval pause between connect() attempts within a round: a NAT that answers an unsolicited SYN
 *     with RST makes a connect fail at once, and only a quick retry from the same port meets the peer's SYN
 * @param messageTimeout how long to wait for the peer's next message
 * @param allowPrivateAddresses accept private, loopback and link-local addresses in CONNECT (labs, LANs)
 */
public record DcutrConfig(int maxRounds, Duration dialWindow, Duration retryInterval, Duration messageTimeout,
        boolean allowPrivateAddresses) {

    public static final DcutrConfig DEFAULT = new DcutrConfig(3, Duration.ofSeconds(5), Duration.ofMillis(50),
            Duration.ofSeconds(10), false);

    public DcutrConfig {
        if (maxRounds < 1 || maxRounds > 10) {
            throw new IllegalArgumentException("maxRounds must be 1..10: " + maxRounds);
        }
        for (Duration d : new Duration[] {dialWindow, retryInterval, messageTimeout}) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("dcutr durations must be positive: " + d);
            }
        }
    }

    public DcutrConfig withAllowPrivateAddresses(boolean allow) {
        return new DcutrConfig(maxRounds, dialWindow, retryInterval, messageTimeout, allow);
    }

    public DcutrConfig withDialWindow(Duration window) {
        return new DcutrConfig(maxRounds, window, retryInterval, messageTimeout, allowPrivateAddresses);
    }
}
