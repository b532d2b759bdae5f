package dev.edgelink.relay.autonat;

import java.time.Duration;

/**
 * Limits and policy of the AutoNAT server.
 *
 * @param allowPrivateAddresses dial back private, loopback and link-local addresses too (a lab or a private
 *     network uses such ranges; on the internet they only invite abuse). Off by default.
 * @param dialTimeout how long one dial-back may take
 * @param maxAddressesDialed at most this many addresses of one request are dialed (in parallel)
 * @param perPeerRequests requests served per peer per {@code window}
 * @param globalRequests requests served from all peers per {@code window}
 * @param window the rate-limit window
 * @param readTimeout how long to wait for the DIAL after the stream opened
 */
public record AutonatServerConfig(boolean allowPrivateAddresses, Duration dialTimeout, int maxAddressesDialed,
        int perPeerRequests, int globalRequests, Duration window, Duration readTimeout) {

    public static final AutonatServerConfig DEFAULT = new AutonatServerConfig(false, Duration.ofSeconds(15), 4,
            3, 30, Duration.ofMinutes(1), Duration.ofSeconds(10));

    public AutonatServerConfig {
        if (maxAddressesDialed < 1 || perPeerRequests < 1 || globalRequests < 1) {
            throw new IllegalArgumentException("autonat limits must be at least 1");
        }
        if (dialTimeout.isNegative() || dialTimeout.isZero() || window.isNegative() || window.isZero()
                || readTimeout.isNegative() || readTimeout.isZero()) {
            throw new IllegalArgumentException("autonat durations must be positive");
        }
    }

    public AutonatServerConfig withAllowPrivateAddresses(boolean allow) {
        return new AutonatServerConfig(allow, dialTimeout, maxAddressesDialed, perPeerRequests, globalRequests,
                window, readTimeout);
    }

    public AutonatServerConfig withRates(int perPeer, int global, Duration newWindow) {
        return new AutonatServerConfig(allowPrivateAddresses, dialTimeout, maxAddressesDialed, perPeer, global,
                newWindow, readTimeout);
    }

    public AutonatServerConfig withDialTimeout(Duration timeout) {
        return new AutonatServerConfig(allowPrivateAddresses, timeout, maxAddressesDialed, perPeerRequests,
                globalRequests, window, readTimeout);
    }
}
