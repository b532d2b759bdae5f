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
 * @param userspace the userspace data path's reader and memory, or null when the node has none running
 * @param trust who this node trusts and what it refused, or null (static peers)
 */
public record AgentStatus(Node node, List<Peer> peers, Userspace userspace, Trust trust) {
    public AgentStatus {
        Objects.requireNonNull(node, "node");
        peers = List.copyOf(peers);
    }

    public AgentStatus(Node node, List<Peer> peers, Userspace userspace) {
        this(node, peers, userspace, null);
    }

    public AgentStatus(Node node, List<Peer> peers) {
        this(node, peers, null, null);
    }

    /**
     * The cluster's trust as this node holds it (docs/security.md).
     *
     * @param mode {@code ca}, or {@code insecure} (no CA: every holder of the swarm key is a member)
     * @param cas the trusted CAs, as "name fingerprint"
     * @param certificate this node's certificate fingerprint (null when insecure)
     * @param certificateNotAfter when it expires (null when insecure)
     * @param revocations the revocation list held per CA, as "CA fingerprint: sequence N, M revoked"
     * @param rejectedRecords records from peers refused since start, by reason
     */
    public record Trust(String mode, List<String> cas, String certificate, Instant certificateNotAfter,
                        List<String> revocations, Map<String, Long> rejectedRecords) {
        public Trust {
            cas = List.copyOf(cas);
            revocations = List.copyOf(revocations);
            rejectedRecords = new TreeMap<>(rejectedRecords);
        }
    }

    /**
     * The userspace data path (TUN device and tunnel streams): whether it moves packets, and the memory the
     * network makes it hold.
     *
     * @param readerRunning the TUN reader is alive and came round its loop lately; when false no peer's userspace
     *     packets move and the userspace paths fail their probes
     * @param memoryUsed bytes all peers' outbound packets hold now ({@code memory.tunnelTotalBytes})
     * @param memoryLimit the limit of that
     * @param memoryPeak the most held at once since start
     * @param directMemoryUsed the JVM's direct buffers in use now (all of the agent's I/O)
     * @param directMemoryLimit {@code -XX:MaxDirectMemorySize}
     * @param allocFailures packets dropped because direct memory could not be had although the budget allowed them
     * @param restarts times the data path started again on a new device (the device vanished or failed under the
     *     reader)
     * @param peers per peer with a tunnel stream or counters
     */
    public record Userspace(boolean readerRunning, long memoryUsed, long memoryLimit, long memoryPeak,
                            long directMemoryUsed, long directMemoryLimit, long allocFailures, long restarts,
                            List<TunnelPeer> peers) {
        public Userspace {
            peers = List.copyOf(peers);
        }
    }

    /**
     * One peer on the userspace path.
     *
     * @param node the peer's node name
     * @param stream whether a tunnel stream to it is up
     * @param heldBytes bytes its outbound packets hold now (queue and stream)
     * @param txPackets packets sent to it
     * @param rxPackets packets received from it
     * @param queueDrops packets to it dropped because its queue was full (tail drop)
     * @param memoryDrops packets to it dropped because all peers together held the memory budget
     * @param otherDrops packets lost otherwise (too large, refused by the device, spoofed sources from it)
     * @param resets its streams reset for a protocol error or silence
     */
    public record TunnelPeer(String node, boolean stream, long heldBytes, long txPackets, long rxPackets,
                             long queueDrops, long memoryDrops, long otherDrops, long resets) {
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

    /**
     * The libp2p connections to a peer and why they exist (the connection manager's view).
     *
     * @param direct a direct connection (TCP, maybe hole-punched) is open
     * @param relayed a relayed one is
     * @param state the manager's state for the peer (NONE, WAITING, DIALING, RELAYED, DIRECT, IDLE)
     * @param reasons why we hold a connection: "relay", "bootstrap peer", "gossip partner", "pod traffic on a
     *     userspace path", "userspace path being tried", or "opened by the peer"; empty: none wanted (a peer on a
     *     kernel path, or idle)
     */
    public record Links(boolean direct, boolean relayed, String state, List<String> reasons) {
        public Links {
            reasons = reasons == null ? List.of() : List.copyOf(reasons);
        }

        public Links(boolean direct, boolean relayed) {
            this(direct, relayed, null, List.of());
        }
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
     * @param state the path selector's state (NEW, SEARCHING, ACTIVE, UPGRADING, FAILED), or {@link #REFUSED}
     * @param path the path carrying pod traffic, or null when none is verified
     * @param trial the path being probed before use, or null
     * @param why why this path, in words
     * @param rttMillis the last successful probe's round-trip time, or -1
     * @param txBytes bytes sent to the peer's pods, or -1 where not counted
     * @param rxBytes bytes received from the peer's pods, or -1 where not counted
     * @param lastChange when the path or state last changed
     * @param site the peer's site label ("" when none or not known)
     * @param connection its libp2p connections now, or null for a static peer
     * @param refusedCidrs its destinations that get no route, with why ("128.0.0.0/1: outside clusterCidr
     *     10.244.0.0/16", "10.1.0.0/24: would replace route 10.1.0.0/24 dev eth0 proto kernel"); empty when none
     */
    public record Peer(String node, String peerId, List<String> podCidrs, List<String> underlay, String state,
                       String path, String trial, String why, double rttMillis, long txBytes, long rxBytes,
                       Instant lastChange, String site, Links connection, List<String> refusedCidrs) {
        /** {@link #state} of a peer none of whose pod CIDRs may be routed: the data plane does not know it. */
        public static final String REFUSED = "REFUSED";

        public Peer {
            podCidrs = List.copyOf(podCidrs);
            underlay = List.copyOf(underlay);
            refusedCidrs = refusedCidrs == null ? List.of() : List.copyOf(refusedCidrs);
        }

        /** A peer with nothing refused. */
        public Peer(String node, String peerId, List<String> podCidrs, List<String> underlay, String state,
                    String path, String trial, String why, double rttMillis, long txBytes, long rxBytes,
                    Instant lastChange, String site, Links connection) {
            this(node, peerId, podCidrs, underlay, state, path, trial, why, rttMillis, txBytes, rxBytes, lastChange,
                    site, connection, List.of());
        }
    }
}
