package dev.edgelink.dataplane.tunnel;

import io.netty.util.internal.PlatformDependent;
import java.time.Duration;
import java.util.Objects;

/**
 * The limits of the userspace data path, each enforced in one place.
 *
 * <p>Memory. Every byte the path holds for a packet going out is charged, from the moment the TUN reader copies
 * the packet until the peer's stream has put it in a muxer frame: the per-peer send queue and what the stream
 * still queues both count. A packet is charged its length plus {@link #PACKET_OVERHEAD} while it waits in the
 * send queue (the buffer object, the queue slot and the pool's rounding, so that a flood of tiny packets is
 * bounded too). A packet that would take its peer past {@code peerQueueBytes}, or all peers past
 * {@code totalQueueBytes}, is dropped at the tail and counted for that peer, as a router does. The defaults are
 * derived from the JVM's direct-memory limit ({@link #forDirectMemory}); docs/agent-config.md says how.
 *
 * @param deviceName the TUN device ({@code edgelink0})
 * @param mtu the TUN device's MTU: the largest plain packet we read, and announce in HELLO as the largest we accept
 * @param offloads ask for {@code IFF_VNET_HDR} + TSO/checksum offloads, carrying 64 KiB TCP segments whole; the
 *     plain path is used when the kernel refuses
 * @param queuePackets per-peer send queue, in packets
 * @param peerQueueBytes bytes one peer's packets may hold (send queue plus its stream's queue)
 * @param totalQueueBytes bytes all peers' packets may hold together
 * @param batchBytes at most this many bytes of frames are gathered into one stream write
 * @param keepalive a PING is sent this often on every stream (below the 30 s a NAT keeps an idle mapping)
 * @param deadAfter a stream on which nothing arrived for this long is reset
 */
public record TunnelConfig(String deviceName, int mtu, boolean offloads, int queuePackets, int peerQueueBytes,
                           long totalQueueBytes, int batchBytes, Duration keepalive, Duration deadAfter) {
    public static final String DEFAULT_DEVICE = "edgelink0";
    /** What a queued packet costs besides its bytes: its buffer object, queue slot and the pool's rounding. */
    public static final int PACKET_OVERHEAD = 128;
    /** The least a peer may hold: one whole GSO packet with its frame header and overhead. */
    public static final int MIN_PEER_BYTES = 65536 + 14 + TunnelFrames.HEADER + PACKET_OVERHEAD;
    /** The userspace path's packets may hold 1/this of the direct-memory limit ({@link #forDirectMemory}). */
    public static final int DIRECT_MEMORY_SHARE = 4;
    /** With the derived defaults, this many peers together can hold the whole budget. */
    public static final int PEERS_PER_BUDGET = 8;
    /** The derived per-peer limit is never above this: a deeper queue only adds delay. */
    public static final int MAX_DERIVED_PEER_BYTES = 4 << 20;

    public TunnelConfig {
        Objects.requireNonNull(deviceName, "deviceName");
        if (mtu < TunnelFrames.MIN_MTU || mtu > 65535) {
            throw new IllegalArgumentException("tunnel MTU must be " + TunnelFrames.MIN_MTU + "..65535, got " + mtu);
        }
        if (queuePackets < 1 || batchBytes < mtu + TunnelFrames.HEADER) {
            throw new IllegalArgumentException("queuePackets >= 1 and batchBytes >= mtu + 4");
        }
        if (peerQueueBytes < MIN_PEER_BYTES) {
            throw new IllegalArgumentException("peerQueueBytes must be at least " + MIN_PEER_BYTES
                    + " (one 64 KiB packet), got " + peerQueueBytes);
        }
        if (totalQueueBytes < peerQueueBytes) {
            throw new IllegalArgumentException("totalQueueBytes (" + totalQueueBytes
                    + ") must not be below peerQueueBytes (" + peerQueueBytes + ")");
        }
        if (keepalive.isNegative() || keepalive.isZero() || deadAfter.compareTo(keepalive) <= 0) {
            throw new IllegalArgumentException("keepalive > 0 and deadAfter > keepalive");
        }
    }

    /** {@link #forDirectMemory} with this JVM's direct-memory limit. */
    public static TunnelConfig defaults(int mtu) {
        return forDirectMemory(mtu, PlatformDependent.maxDirectMemory());
    }

    /**
     * edgelink0, the given MTU, offloads on, 1024 packets per peer, 64 KiB batches, keepalive 10 s, dead after
     * 35 s, and memory limits derived from {@code maxDirectMemory} ({@code -XX:MaxDirectMemorySize}):
     * all peers together a quarter of it, one peer an eighth of that (at least one 64 KiB packet, at most 4 MiB).
     * With the shipped 32 MiB: 8 MiB in all, 1 MiB per peer.
     */
    public static TunnelConfig forDirectMemory(int mtu, long maxDirectMemory) {
        long total = Math.max(MIN_PEER_BYTES, maxDirectMemory / DIRECT_MEMORY_SHARE);
        int peer = (int) Math.max(MIN_PEER_BYTES, Math.min(MAX_DERIVED_PEER_BYTES, total / PEERS_PER_BUDGET));
        return new TunnelConfig(DEFAULT_DEVICE, mtu, true, 1024, peer, total, 64 * 1024, Duration.ofSeconds(10),
                Duration.ofSeconds(35));
    }

    public TunnelConfig withDevice(String name) {
        return new TunnelConfig(name, mtu, offloads, queuePackets, peerQueueBytes, totalQueueBytes, batchBytes,
                keepalive, deadAfter);
    }

    public TunnelConfig withOffloads(boolean on) {
        return new TunnelConfig(deviceName, mtu, on, queuePackets, peerQueueBytes, totalQueueBytes, batchBytes,
                keepalive, deadAfter);
    }

    public TunnelConfig withKeepalive(Duration every, Duration dead) {
        return new TunnelConfig(deviceName, mtu, offloads, queuePackets, peerQueueBytes, totalQueueBytes,
                batchBytes, every, dead);
    }

    /** Per-peer packets and bytes; the total is raised to the per-peer bytes if it was below. */
    public TunnelConfig withQueue(int packets, int bytes) {
        return new TunnelConfig(deviceName, mtu, offloads, packets, bytes, Math.max(bytes, totalQueueBytes),
                batchBytes, keepalive, deadAfter);
    }

    /** Per-peer and total bytes. */
    public TunnelConfig withMemory(int peerBytes, long totalBytes) {
        return new TunnelConfig(deviceName, mtu, offloads, queuePackets, peerBytes, totalBytes, batchBytes,
                keepalive, deadAfter);
    }
}
