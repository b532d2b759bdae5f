package dev.edgelink.agent.internal.connections;

import dev.edgelink.discovery.NodeReachability;
import dev.edgelink.relay.dcutr.DcutrService;
import dev.edgelink.relay.reachability.Reachability;

/**
 * What the connection manager needs of the node's cross-NAT services: our reachability (as the record says it, and
 * as the classifier has it for the punch policy) and DCUtR. The agent's {@code CrossNat} is one; a simulation of
 * many nodes in one process supplies its own.
 */
public interface NatView {
    NodeReachability reachability();

    Reachability rawReachability();

    DcutrService dcutr();
}
