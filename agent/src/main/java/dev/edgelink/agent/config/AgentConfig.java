package dev.edgelink.agent.config;

import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import dev.edgelink.relay.circuit.RelayConfig;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The agent's settings, validated: every value here is usable as it is. Read with {@link ConfigLoader}; the keys,
 * their defaults and their meaning are listed in {@code docs/agent-config.md}.
 *
 * @param nodeName this node's name, unique in the cluster
 * @param podCidr the IPv4 pod CIDR of this node (network form, inside {@code clusterCidr})
 * @param clusterCidr the IPv4 range every node's pod CIDR lies in; pod egress outside it is masqueraded
 * @param listen libp2p listen addresses (TCP, without /p2p)
 * @param bootstrapPeers peers dialed first to join the mesh (with /p2p)
 * @param mdnsInterfaces interfaces on which to find peers with mDNS (empty: none)
 * @param pskFile a libp2p swarm key file: only nodes holding it can connect (empty: no private network)
 * @param tunnelMode which kernel paths may be used
 * @param underlayInterface the underlay device (empty: the device of the IPv4 default route)
 * @param underlayAddress the underlay address (empty: the first IPv4 address of the underlay device)
 * @param stateDir where the node key, the VTEP MAC and the IPAM store are kept
 * @param cniSocket the unix socket on which the CNI plugin reaches the agent
 * @param statusAddress the loopback address of the operator HTTP server (/status, /metrics, /ping)
 * @param masquerade whether pod egress outside the cluster CIDR is masqueraded
 * @param timeouts record lifetime, gossip and probe timing
 * @param memory limits on memory the network can make the agent hold (empty: derived from direct memory)
 * @param staticPeers peers given by hand (a testing aid: they bypass membership)
 * @param nat the cross-NAT settings: site label, relay server and client, hole punching, userspace paths
 * @param trust who is a node: the cluster CA, this node's certificate, revocations, and which underlays carry
 *     kernel paths
 * @param connections the libp2p host's limits on connections and handshakes
 * @param members the membership view's size and how news spreads
 */
public record AgentConfig(String nodeName, IpPrefix podCidr, IpPrefix clusterCidr, List<Multiaddr> listen,
                          List<Multiaddr> bootstrapPeers, List<String> mdnsInterfaces, Optional<Path> pskFile,
                          TunnelMode tunnelMode, Optional<String> underlayInterface,
                          Optional<Inet4Address> underlayAddress, Path stateDir, Path cniSocket,
                          InetSocketAddress statusAddress, boolean masquerade, Timeouts timeouts,
                          List<StaticPeerConfig> staticPeers, Nat nat, Memory memory, Trust trust,
                          Connections connections, Members members) {

    public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/edgelink");
    public static final Path DEFAULT_CNI_SOCKET = Path.of("/run/edgelink/cni.sock");
    public static final String DEFAULT_STATUS_HOST = "127.0.0.1";
    public static final int DEFAULT_STATUS_PORT = 9473;
    public static final String DEFAULT_STATUS_ADDRESS = DEFAULT_STATUS_HOST + ":" + DEFAULT_STATUS_PORT;
    public static final String DEFAULT_CLUSTER_CIDR = "10.244.0.0/16";
    public static final String DEFAULT_LISTEN = "/ip4/0.0.0.0/tcp/4001";

    public AgentConfig {
        Objects.requireNonNull(nodeName, "nodeName");
        Objects.requireNonNull(podCidr, "podCidr");
        Objects.requireNonNull(clusterCidr, "clusterCidr");
        listen = List.copyOf(listen);
        bootstrapPeers = List.copyOf(bootstrapPeers);
        mdnsInterfaces = List.copyOf(mdnsInterfaces);
        Objects.requireNonNull(pskFile, "pskFile");
        Objects.requireNonNull(tunnelMode, "tunnelMode");
        Objects.requireNonNull(underlayInterface, "underlayInterface");
        Objects.requireNonNull(underlayAddress, "underlayAddress");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(cniSocket, "cniSocket");
        Objects.requireNonNull(statusAddress, "statusAddress");
        Objects.requireNonNull(timeouts, "timeouts");
        staticPeers = List.copyOf(staticPeers);
        Objects.requireNonNull(nat, "nat");
        Objects.requireNonNull(memory, "memory");
        Objects.requireNonNull(trust, "trust");
        Objects.requireNonNull(connections, "connections");
        Objects.requireNonNull(members, "members");
    }

    /** This node's site label (empty: none). */
    public String site() {
        return nat.site();
    }

    /** The relays to keep reservations on: {@code relay.peers}, or the bootstrap peers when none are given. */
    public List<Multiaddr> relayPeers() {
        return nat.relayPeers().isEmpty() ? bootstrapPeers : nat.relayPeers();
    }

    /** The node key file. */
    public Path keyFile() {
        return stateDir.resolve("node.key");
    }

    /** The IPAM store's directory. */
    public Path ipamDir() {
        return stateDir.resolve("ipam");
    }

    /** Where the VTEP MAC chosen at first start is kept, so the VXLAN device keeps it across restarts. */
    public Path vtepMacFile() {
        return stateDir.resolve("vtep-mac");
    }

    /**
     * Timing of membership and path probing.
     *
     * @param recordTtl how long this node's signed record lives; a silent node disappears from peers' kernels
     *     within about this time
     * @param gossipInterval time between two anti-entropy exchanges
     * @param probeInterval time between two rounds of the data plane loop (path probes and reconcile)
     * @param probeTimeout how long a path probe waits for its echo
     * @param probeFailures consecutive failed probes after which a path is given up
     * @param idleTimeout a peer whose pods exchanged no traffic with ours for this long is idle: its path is probed
     *     less often (its userspace path not at all) and it needs no connection
     * @param idleProbeInterval time between two probes of an idle peer's kernel path
     */
    public record Timeouts(Duration recordTtl, Duration gossipInterval, Duration probeInterval, Duration probeTimeout,
                           int probeFailures, Duration idleTimeout, Duration idleProbeInterval) {
        /**
         * Re-issued half-way (5 min before expiry): at 1000 nodes 3.3 refreshed records a second cross the fleet.
         * A leaving node is gone at once (its tombstone); one that stops silently, after this.
         */
        public static final Duration DEFAULT_RECORD_TTL = Duration.ofMinutes(10);
        public static final Duration DEFAULT_GOSSIP_INTERVAL = Duration.ofSeconds(1);
        /**
         * With {@link #DEFAULT_PROBE_FAILURES} this leaves a dead path within 2 s: the third failed probe is sent at
         * most 3 intervals after the last answer and fails a timeout later (1.2 s), and the rung below is probed in
         * the same round.
         */
        public static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofMillis(300);
        /** Paths whose round trip exceeds this never verify: raise it for links like geostationary satellite. */
        public static final Duration DEFAULT_PROBE_TIMEOUT = Duration.ofMillis(300);
        public static final int DEFAULT_PROBE_FAILURES = 3;
        public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
        /** At 1000 peers, 950 of them idle on kernel paths: 32 probes/s for all of those together. */
        public static final Duration DEFAULT_IDLE_PROBE_INTERVAL = Duration.ofSeconds(30);

        public static Timeouts defaults() {
            return new Timeouts(DEFAULT_RECORD_TTL, DEFAULT_GOSSIP_INTERVAL, DEFAULT_PROBE_INTERVAL,
                    DEFAULT_PROBE_TIMEOUT, DEFAULT_PROBE_FAILURES, DEFAULT_IDLE_TIMEOUT, DEFAULT_IDLE_PROBE_INTERVAL);
        }
    }

    /**
     * How nodes behind NATs are reached.
     *
     * @param site a site label announced in the node record (nodes of one site share a network; empty: none)
     * @param relayServer whether this node serves circuit relay v2 to the mesh's members
     * @param relayPeers relays to keep reservations on (with /p2p); empty: the bootstrap peers
     * @param holePunch whether relayed connections are upgraded to direct ones by DCUtR
     * @param userspace whether this node offers the direct and relayed userspace paths (TUN device)
     * @param relayLimits with {@code relayServer}: how many reservations and circuits it serves
     */
    public record Nat(String site, boolean relayServer, List<Multiaddr> relayPeers, boolean holePunch,
                      boolean userspace, RelayLimits relayLimits) {
        public Nat {
            Objects.requireNonNull(site, "site");
            relayPeers = List.copyOf(relayPeers);
            Objects.requireNonNull(relayLimits, "relayLimits");
        }

        /** With the default relay limits. */
        public Nat(String site, boolean relayServer, List<Multiaddr> relayPeers, boolean holePunch,
                   boolean userspace) {
            this(site, relayServer, relayPeers, holePunch, userspace, RelayLimits.defaults());
        }

        public static Nat defaults() {
            return new Nat("", false, List.of(), true, true);
        }
    }

    /**
     * What a relay server serves at once (config keys {@code relay.max*}, defaults from {@link RelayConfig}); each
     * per-source limit is at most its total.
     *
     * @param maxReservations reservations in all: one per NAT'd node that uses this relay
     * @param maxReservationsPerIp reservations from one source address (a site's NAT address)
     * @param maxCircuits relayed connections in all
     * @param maxCircuitsPerPeer relayed connections one node is an end of
     */
    public record RelayLimits(int maxReservations, int maxReservationsPerIp, int maxCircuits,
                              int maxCircuitsPerPeer) {
        public static RelayLimits defaults() {
            return new RelayLimits(RelayConfig.DEFAULT_MAX_RESERVATIONS, RelayConfig.DEFAULT_MAX_RESERVATIONS_PER_IP,
                    RelayConfig.DEFAULT_MAX_CIRCUITS, RelayConfig.DEFAULT_MAX_CIRCUITS_PER_PEER);
        }
    }

    /**
     * A peer given in the config instead of learnt from membership (a testing aid).
     *
     * @param nodeName the peer's node name
     * @param podCidr its pod CIDR; its first address is its tunnel address
     * @param underlay its underlay address
     * @param vtepMac the MAC of its VXLAN device (needed for vxlan; empty: vxlan is not offered)
     */
    public record StaticPeerConfig(String nodeName, IpPrefix podCidr, Inet4Address underlay,
                                   Optional<MacAddress> vtepMac) {
    }

    /**
     * Limits on the memory that the network can fill, in bytes; each empty one is derived from the JVM's direct
     * memory limit (docs/agent-config.md, "Memory").
     *
     * @param tunnelPeerBytes what one peer's outbound packets may hold on the userspace paths
     * @param tunnelTotalBytes what all peers' outbound packets may hold together
     * @param relayBytes what the relay server may hold for all circuits together
     */
    public record Memory(OptionalLong tunnelPeerBytes, OptionalLong tunnelTotalBytes, OptionalLong relayBytes) {
        public static Memory derived() {
            return new Memory(OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty());
        }
    }

    /**
     * Who is a node of the cluster and which underlays are trusted with unencrypted kernel paths
     * (docs/security.md).
     *
     * @param caFiles the trusted CA certificates (two during a CA rotation); empty only when {@code insecure}
     * @param certFile this node's certificate, signed by one of the CAs
     * @param revocationFile a CA-signed revocation list to start from (re-read when it changes)
     * @param insecure no CA: every holder of the swarm key is a member and says what it likes about itself (labs)
     * @param clockSkew how far the clocks of two nodes may differ: certificates and records are judged with it
     * @param kernelUnderlays underlay CIDRs trusted to carry pod traffic in clear (hostgw, ipip, vxlan) between
     *     nodes of different sites
     */
    public record Trust(List<Path> caFiles, Optional<Path> certFile, Optional<Path> revocationFile, boolean insecure,
                        Duration clockSkew, List<IpPrefix> kernelUnderlays) {
        public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);

        public Trust {
            caFiles = List.copyOf(caFiles);
            Objects.requireNonNull(certFile, "certFile");
            Objects.requireNonNull(revocationFile, "revocationFile");
            Objects.requireNonNull(clockSkew, "clockSkew");
            kernelUnderlays = List.copyOf(kernelUnderlays);
        }

        /** No CA: the lab mode. */
        public static Trust insecureLab() {
            return new Trust(List.of(), Optional.empty(), Optional.empty(), true, DEFAULT_CLOCK_SKEW, List.of());
        }
    }

    /**
     * The membership view (config section {@code members}).
     *
     * @param maxRecords members and tombstones the view holds at most; also the entries and records one members
     *     message may carry, and the records kept in the state directory
     * @param pushFanout how many connected members a changed record is pushed to at once (0: exchanges only)
     */
    public record Members(int maxRecords, int pushFanout) {
        public static final int DEFAULT_MAX_RECORDS = 8192;
        public static final int DEFAULT_PUSH_FANOUT = 3;

        public static Members defaults() {
            return new Members(DEFAULT_MAX_RECORDS, DEFAULT_PUSH_FANOUT);
        }
    }

    /**
     * The libp2p host's limits (config section {@code libp2p}, defaults from {@link HostConfig}): established
     * connections, and the handshakes strangers can open without any key.
     *
     * @param maxConnections established (authenticated) connections at most, TCP and relayed
     * @param maxPendingPerIp inbound handshakes at once from one address (IPv6: one /64)
     * @param maxPendingHandshakes inbound handshakes at once in all
     * @param handshakeTimeout how long an inbound connection may stay unauthenticated
     */
    public record Connections(int maxConnections, int maxPendingPerIp, int maxPendingHandshakes,
                              Duration handshakeTimeout) {
        public static Connections defaults() {
            return new Connections(HostConfig.DEFAULT_MAX_CONNECTIONS, HostConfig.DEFAULT_MAX_PENDING_PER_IP,
                    HostConfig.DEFAULT_MAX_PENDING_HANDSHAKES, HostConfig.DEFAULT_HANDSHAKE_TIMEOUT);
        }

        /**
         * The default of {@code maxConnections}: on a relay server one connection per reservation it serves on top
         * of the host's own default, since every node that reserves keeps its connection to the relay open.
         */
        public static int defaultMaxConnections(Nat nat) {
            return nat.relayServer() ? HostConfig.DEFAULT_MAX_CONNECTIONS + nat.relayLimits().maxReservations()
                    : HostConfig.DEFAULT_MAX_CONNECTIONS;
        }
    }
}
