package dev.edgelink.dataplane.reconcile;

import dev.edgelink.net.IpPrefix;
import java.util.Objects;

/**
 * A route to one of a peer's destinations that the reconciler will not install, and why. Values: the same refusal
 * in two passes is equal, so it is logged once while it lasts.
 *
 * @param peer the peer's node name
 * @param destination the refused destination: a pod CIDR, or the /32 (/128) of the peer's tunnel address
 * @param reason the kind of refusal, for counting
 * @param detail in words, naming what is in the way: "would replace route 10.1.0.0/24 dev eth0 proto kernel"
 */
public record Refusal(String peer, IpPrefix destination, Reason reason, String detail) {
    /** Why a destination was refused. */
    public enum Reason {
        /** A route that is not ours has the same destination. */
        REPLACES_ROUTE,
        /** A route that is not ours (not the default route) strictly contains the destination. */
        SHADOWS_ROUTE,
        /** The destination lies inside this node's own pod CIDR. */
        LOCAL_POD_CIDR,
        /** The probe route to the peer's tunnel address, which lies outside the pod CIDRs the peer may have. */
        OUTSIDE_PEER_POD_CIDRS;

        /** The label value in metrics: {@code would_replace}, {@code would_shadow}, ... */
        public String label() {
            return switch (this) {
                case REPLACES_ROUTE -> "would_replace";
                case SHADOWS_ROUTE -> "would_shadow";
                case LOCAL_POD_CIDR -> "local_pod_cidr";
                case OUTSIDE_PEER_POD_CIDRS -> "tunnel_address_outside_pod_cidrs";
            };
        }
    }

    public Refusal {
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(detail, "detail");
    }

    /** As {@code edgelink status} shows it: "10.1.0.0/24: would replace route 10.1.0.0/24 dev eth0 proto kernel". */
    @Override
    public String toString() {
        return destination + ": " + detail;
    }
}
