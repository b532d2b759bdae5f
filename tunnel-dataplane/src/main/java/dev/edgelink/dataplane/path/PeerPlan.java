package dev.edgelink.dataplane.path;

import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import java.util.Objects;

/**
 * What the kernel should hold for one peer, as the selector decided: its pod CIDRs through {@code active}, and
 * its tunnel address (/32) through {@code trial} while that path is being probed.
 *
 * @param active the path for the pod CIDRs, or {@code null} (no route yet)
 * @param trial the path for the probe route, or {@code null}
 */
public record PeerPlan(PeerView peer, PathKind active, PathKind trial) {
    public PeerPlan {
        Objects.requireNonNull(peer, "peer");
    }
}
