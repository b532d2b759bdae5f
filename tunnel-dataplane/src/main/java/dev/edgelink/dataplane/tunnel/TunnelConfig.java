package dev.edgelink.dataplane.tunnel;

import java.time.Duration;
import java.util.Objects;

/**
 * The limits of the userspace data path, each enforced in one place.
 *
 * @param deviceName the TUN device ({@code edgelink0})
 * @param mtu the TUN device's MTU: the largest plain packet we read, and announce in HELLO as the largest we accept
 * @param offloads ask for {@code IFF_VNET_HDR} + TSO/checksum offloads, carrying 64 KiB TCP segments whole; the
 *     plain path is used when the kernel refuses
 * @param queuePackets per-peer send queue, in packets; a packet for a full queue is dropped and counted
 * @param queueBytes per-peer send queue, in bytes (what bounds memory when offloads make packets large)
 * @param batchBytes at most this many bytes of frames are gathered into one stream write
 * @param keepalive a PING is sent this often on every stream (below the 30 s a NAT keeps an idle mapping)
 * @param deadAfter a stream on which nothing arrived for this long is reset
 */
public record TunnelConfig(String deviceName, int mtu, boolean offloads, int queuePackets, int queueBytes,
                           int batchBytes, Duration keepalive, Duration deadAfter) {
    public static final String DEFAULT_DEVICE = "edgelink0";

    public TunnelConfig {
        Objects.requireNonNull(deviceName, "deviceName");
        if (mtu < TunnelFrames.MIN_MTU || mtu > 65535) {
            throw new IllegalArgumentException("tunnel MTU must be " + TunnelFrames.MIN_MTU + "..65535, got " + mtu);
        }
        if (queuePackets < 1 || queueBytes < 65536 + 14 || batchBytes < mtu + TunnelFrames.HEADER) {
            throw new IllegalArgumentException("queuePackets >= 1, queueBytes >= 65550, batchBytes >= mtu + 4");
        }
        if (keepalive.isNegative() || keepalive.isZero() || deadAfter.compareTo(keepalive) <= 0) {
            throw new IllegalArgumentException("keepalive > 0 and deadAfter > keepalive");
        }
    }

    /** edgelink0, the given MTU, offloads on, 1024 packets / 4 MiB per peer, 64 KiB batches, 10 s / 35 s. */
    public static TunnelConfig defaults(int mtu) {
        return new TunnelConfig(DEFAULT_DEVICE, mtu, true, 1024, 4 << 20, 64 * 1024, Duration.ofSeconds(10),
                Duration.ofSeconds(35));
    }

    public TunnelConfig withDevice(String name) {
        return new TunnelConfig(name, mtu, offloads, queuePackets, queueBytes, batchBytes, keepalive, deadAfter);
    }

    public TunnelConfig withOffloads(boolean on) {
        return new TunnelConfig(deviceName, mtu, on, queuePackets, queueBytes, batchBytes, keepalive, deadAfter);
    }

    public TunnelConfig withKeepalive(Duration every, Duration dead) {
        return new TunnelConfig(deviceName, mtu, offloads, queuePackets, queueBytes, batchBytes, every, dead);
    }

    public TunnelConfig withQueue(int packets, int bytes) {
        return new TunnelConfig(deviceName, mtu, offloads, packets, bytes, batchBytes, keepalive, deadAfter);
    }
}
