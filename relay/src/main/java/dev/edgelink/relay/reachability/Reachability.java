package dev.edgelink.relay.reachability;

/**
 * How other nodes can reach this one, as far as the evidence goes; it decides between a direct dial, a hole
 * punch and the relay.
 */
public enum Reachability {
    /** Dialable from outside (AutoNAT peers dialed us back). */
    PUBLIC,
    /**
     * Behind a NAT whose mapping is endpoint-independent: different peers saw one local socket as the same
     * external ip:port. Hole punching is worth trying.
     */
    NAT_PORT_PRESERVING,
    /** Behind a NAT that maps one local socket to a different external port per destination: go to a relay. */
    NAT_SYMMETRIC,
    /** Not enough evidence yet. */
    UNKNOWN;

    /** Whether a hole punch towards or from a node with this reachability can work. */
    public boolean punchable() {
        return this != NAT_SYMMETRIC;
    }
}
