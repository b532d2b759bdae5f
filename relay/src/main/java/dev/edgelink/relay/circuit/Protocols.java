package dev.edgelink.relay.circuit;

/** The protocol ids of circuit relay v2. */
public final class Protocols {

    /** Spoken by clients to a relay: RESERVE and CONNECT. */
    public static final String HOP = "/libp2p/circuit/relay/0.2.0/hop";
    /** Spoken by a relay to the peer it connects a source to. */
    public static final String STOP = "/libp2p/circuit/relay/0.2.0/stop";

    private Protocols() {
    }
}
