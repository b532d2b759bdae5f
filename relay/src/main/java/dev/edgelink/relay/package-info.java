/**
 * Reaching nodes that sit behind NATs: circuit relay v2 (the hop protocol as client and server, the stop protocol,
 * reservations and their limits), AutoNAT v1 and the node's reachability, and DCUtR hole punching that upgrades a
 * relayed connection to a direct one. Built on the {@code libp2p} module only; it knows nothing of membership.
 */
package dev.edgelink.relay;
