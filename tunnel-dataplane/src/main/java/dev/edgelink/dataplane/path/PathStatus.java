package dev.edgelink.dataplane.path;

import dev.edgelink.dataplane.backend.PathKind;

/**
 * What {@code edgelink status} shows for one peer.
 *
 * @param peer the peer's node name
 * @param state the selector's state for the peer
 * @param path the path carrying the peer's pod traffic, or {@code null} while none has been verified
 * @param trial the path being probed before use, or {@code null}
 * @param reason why this path, in words ("vxlan: ipip unavailable on this kernel (EOPNOTSUPP); ...")
 * @param lastChangeNanos when {@code path}, {@code state} or {@code parked} last changed (the injected clock's time)
 * @param rttNanos the last successful probe's round-trip time, or -1
 * @param parked the peer is idle and its userspace {@code path} is kept without probes (and needs no connection)
 *     until pod traffic resumes
 */
public record PathStatus(String peer, PeerPathMachine.State state, PathKind path, PathKind trial, String reason,
                         long lastChangeNanos, long rttNanos, boolean parked) {
}
