package dev.edgelink.agent;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What {@code GET /status} answers and {@code edgelink status} prints: this node and every peer.
 *
 * @param node this node
 * @param peers every peer known to the data plane, in the order they became known
 */
public record AgentStatus(Node node, List<Peer> peers) {
    public AgentStatus {
        Objects.requireNonNull(node, "node");
        peers = List.copyOf(peers);
    }

    /**
     * This node.
     *
     * @param name node name
     * @param peerId libp2p peer id
     * @param podCidr the pod CIDR
     * @param tunnelAddress the address tunnel devices hold (probes are answered on it)
     * @param underlayDevice the underlay device
     * @param underlayAddress the underlay address
     * @param tunnelMode the configured tunnel mode
     * @param podMtu the MTU handed to pods
     * @param backends every rung enabled by the tunnel mode, with the kernel's verdict
     * @param listen libp2p listen addresses
     * @param startedAt when the agent started
     * @param site the site label ("" when none)
     * @param reachability PUBLIC, NAT_PORT_PRESERVING, NAT_SYMMETRIC or UNKNOWN
     * @param relayAddrs the circuit addresses of the relay reservations held
     * @param relayServer whether this node serves circuit relay to members
     * @param taskFailures per background task (a thread's periodic rounds, one CNI or operator request, one
     *     packet): how often it failed and went on since the start (docs/agent-config.md, "When a thread fails")
     */
    public record Node(String name, String peerId, String podCidr, String tunnelAddress, String underlayDevice,
                       String underlayAddress, String tunnelMode, int podMtu, List<Backend> backends,
                       List<String> listen, Instant startedAt, String site, String reachability,
                       List<String> relayAddrs, boolean relayServer, Map<String, Long> taskFailures) {
        public Node {
            backends = List.copyOf(backends);
            listen = List.copyOf(listen);
            relayAddrs = relayAddrs == null ? List.of() : List.copyOf(relayAddrs);
            taskFailures = taskFailures == null ? Map.of() : new TreeMap<>(taskFailures);
        }
    }

    /** The libp2p connections to a peer: a direct one (TCP, maybe hole-punched), a relayed one. */
    public record Links(boolean direct, boolean relayed) {
    }

    /** A rung of the ladder on this node: whether the kernel can do it, and why (not). */
    public record Backend(String path, boolean available, String reason) {
    }

    /**
     * A peer as the data plane sees it.
     *
     * @param node the peer's node name
     * @param peerId its libp2p peer id, or null when it is not known (a static peer)
     * @param podCidrs its pod CIDRs
     * @param underlay its underlay addresses
     * @param state the path selector's state (NEW, SEARCHING, ACTIVE, UPGRADING, FAILED)
     * @param path the path carrying pod traffic, or null when none is verified
     * @param trial the path being probed before use, or null
     * @param why why this path, in words
     * @param rttMillis the last successful probe's round-trip time, or -1
     * @param txBytes bytes sent to the peer's pods, or -1 where not counted
     * @param rxBytes bytes received from the peer's pods, or -1 where not counted
     * @param lastChange when the path or state last changed
     * @param site the peer's site label ("" when none or not known)
     * @param connection its libp2p connections now, or null for a static peer
     */
    public record Peer(String node, String peerId, List<String> podCidrs, List<String> underlay, String state,
                       String path, String trial, String why, double rttMillis, long txBytes, long rxBytes,
                       Instant lastChange, String site, Links connection) {
        public Peer {
            podCidrs = List.copyOf(podCidrs);
            underlay = List.copyOf(underlay);
        }
    }
}
