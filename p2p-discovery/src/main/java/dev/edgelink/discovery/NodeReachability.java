package dev.edgelink.discovery;

/**
 * How a node believes other nodes can reach it, as it announces in its record: {@code PUBLIC} (dialable at its
 * underlay address), behind a NAT that keeps ports (hole punching is worth trying), behind a symmetric NAT (go
 * straight to the relay), or not known yet.
 */
public enum NodeReachability {
    UNKNOWN,
    PUBLIC,
    NAT_PORT_PRESERVING,
    NAT_SYMMETRIC
}
