package dev.edgelink.libp2p.host;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.libp2p.pnet.SwarmKey;
import dev.edgelink.libp2p.threads.TaskGuard;
import dev.edgelink.libp2p.yamux.YamuxConfig;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Everything a {@link Host} can be told. Every limit has a named default here and is enforced in one place.
 */
public final class HostConfig {

    /** Agent version sent in identify. */
    public static final String DEFAULT_AGENT_VERSION = "edgelink/0.1.0";
    public static final Duration DEFAULT_DIAL_TIMEOUT = Duration.ofSeconds(10);
    /** From TCP connected to muxer ready: multistream, noise handshake, muxer choice. */
    public static final Duration DEFAULT_UPGRADE_TIMEOUT = Duration.ofSeconds(10);
    /** Established (authenticated) connections, TCP and relayed, both directions. */
    public static final int DEFAULT_MAX_CONNECTIONS = 1024;
    /**
     * Inbound connections from one source still in their handshake (before Noise has authenticated the remote):
     * a source is an IPv4 address, an IPv6 /64, or for a relayed connection the remote peer the relay names.
     */
    public static final int DEFAULT_MAX_PENDING_PER_IP = 8;
    /** Inbound connections still in their handshake, from all sources together. */
    public static final int DEFAULT_MAX_PENDING_HANDSHAKES = 128;
    /** From accept to the remote authenticated (pnet, multistream, noise): how long a stranger holds a slot. */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);
    /** The default peer gate: every authenticated peer may stay. */
    public static final Predicate<PeerId> ALLOW_ALL = peer -> true;
    /** Longest multistream-select message accepted (protocol ids are far shorter). */
    public static final int DEFAULT_MAX_MULTISTREAM_MESSAGE = 1024;
    /** Largest noise handshake message accepted (the spec's own maximum). */
    public static final int DEFAULT_MAX_NOISE_HANDSHAKE_MESSAGE = 65535;
    public static final int DEFAULT_EVENT_LOOP_THREADS = 2;

    private final PrivKey identity;
    private final List<Multiaddr> listenAddresses;
    private final Optional<SwarmKey> swarmKey;
    private final String agentVersion;
    private final Duration dialTimeout;
    private final Duration upgradeTimeout;
    private final Duration handshakeTimeout;
    private final int maxConnections;
    private final int maxPendingPerIp;
    private final int maxPendingHandshakes;
    private final Predicate<PeerId> peerGate;
    private final int maxMultistreamMessage;
    private final int eventLoopThreads;
    private final YamuxConfig yamux;
    private final TaskGuard tasks;

    private HostConfig(Builder b) {
        this.identity = Objects.requireNonNull(b.identity, "identity");
        this.listenAddresses = List.copyOf(b.listenAddresses);
        this.swarmKey = Optional.ofNullable(b.swarmKey);
        this.agentVersion = b.agentVersion;
        this.dialTimeout = b.dialTimeout;
        this.upgradeTimeout = b.upgradeTimeout;
        this.handshakeTimeout = b.handshakeTimeout;
        this.maxConnections = b.maxConnections;
        this.maxPendingPerIp = b.maxPendingPerIp;
        this.maxPendingHandshakes = b.maxPendingHandshakes;
        this.peerGate = b.peerGate;
        this.maxMultistreamMessage = b.maxMultistreamMessage;
        this.eventLoopThreads = b.eventLoopThreads;
        this.yamux = b.yamux;
        this.tasks = b.tasks;
    }

    public static Builder builder(PrivKey identity) {
        return new Builder(identity);
    }

    public PrivKey identity() {
        return identity;
    }

    public List<Multiaddr> listenAddresses() {
        return listenAddresses;
    }

    public Optional<SwarmKey> swarmKey() {
        return swarmKey;
    }

    public String agentVersion() {
        return agentVersion;
    }

    public Duration dialTimeout() {
        return dialTimeout;
    }

    public Duration upgradeTimeout() {
        return upgradeTimeout;
    }

    /**
     * How long an inbound connection may stay unauthenticated (holding a handshake slot): past it, it is closed and
     * counted as {@link Refusal#HANDSHAKE_DEADLINE}. The upgrade timeout bounds the whole upgrade, and is all that
     * bounds our own dials.
     */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /** Established connections at most; a connection takes one of these slots only once it is authenticated. */
    public int maxConnections() {
        return maxConnections;
    }

    /** Inbound connections in their handshake per source; a newer one closes the source's oldest. */
    public int maxPendingPerIp() {
        return maxPendingPerIp;
    }

    /** Inbound connections in their handshake in all; a newer one closes the oldest. */
    public int maxPendingHandshakes() {
        return maxPendingHandshakes;
    }

    /** Asked once a connection is authenticated (see {@link Host#setPeerGate}); default: {@link #ALLOW_ALL}. */
    public Predicate<PeerId> peerGate() {
        return peerGate;
    }

    public int maxMultistreamMessage() {
        return maxMultistreamMessage;
    }

    public int eventLoopThreads() {
        return eventLoopThreads;
    }

    public YamuxConfig yamux() {
        return yamux;
    }

    /**
     * Where an {@link Error} that Netty caught in a connection's handlers is counted (task
     * {@code connection-handler}); the connection is closed, the event loop goes on.
     */
    public TaskGuard tasks() {
        return tasks;
    }

    /** Builder with the defaults above. */
    public static final class Builder {
        private final PrivKey identity;
        private List<Multiaddr> listenAddresses = List.of();
        private SwarmKey swarmKey;
        private String agentVersion = DEFAULT_AGENT_VERSION;
        private Duration dialTimeout = DEFAULT_DIAL_TIMEOUT;
        private Duration upgradeTimeout = DEFAULT_UPGRADE_TIMEOUT;
        private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private int maxPendingPerIp = DEFAULT_MAX_PENDING_PER_IP;
        private int maxPendingHandshakes = DEFAULT_MAX_PENDING_HANDSHAKES;
        private Predicate<PeerId> peerGate = ALLOW_ALL;
        private int maxMultistreamMessage = DEFAULT_MAX_MULTISTREAM_MESSAGE;
        private int eventLoopThreads = DEFAULT_EVENT_LOOP_THREADS;
        private YamuxConfig yamux = YamuxConfig.DEFAULT;
        private TaskGuard tasks;

        private Builder(PrivKey identity) {
            this.identity = identity;
        }

        public Builder listen(List<Multiaddr> addresses) {
            this.listenAddresses = addresses;
            return this;
        }

        public Builder swarmKey(SwarmKey key) {
            this.swarmKey = key;
            return this;
        }

        public Builder agentVersion(String version) {
            this.agentVersion = version;
            return this;
        }

        public Builder dialTimeout(Duration timeout) {
            this.dialTimeout = timeout;
            return this;
        }

        public Builder upgradeTimeout(Duration timeout) {
            this.upgradeTimeout = timeout;
            return this;
        }

        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = timeout;
            return this;
        }

        public Builder maxConnections(int max) {
            this.maxConnections = max;
            return this;
        }

        public Builder maxPendingPerIp(int max) {
            this.maxPendingPerIp = max;
            return this;
        }

        public Builder maxPendingHandshakes(int max) {
            this.maxPendingHandshakes = max;
            return this;
        }

        public Builder peerGate(Predicate<PeerId> gate) {
            this.peerGate = Objects.requireNonNull(gate, "gate");
            return this;
        }

        public Builder maxMultistreamMessage(int max) {
            this.maxMultistreamMessage = max;
            return this;
        }

        public Builder eventLoopThreads(int threads) {
            this.eventLoopThreads = threads;
            return this;
        }

        public Builder yamux(YamuxConfig config) {
            this.yamux = config;
            return this;
        }

        /** Default: a guard of this host's own (errors are logged and counted, but not where the owner looks). */
        public Builder tasks(TaskGuard guard) {
            this.tasks = Objects.requireNonNull(guard, "guard");
            return this;
        }

        /** @throws ConfigurationException when a limit or timeout is not positive */
        public HostConfig build() {
            positive("maxConnections", maxConnections);
            positive("maxPendingPerIp", maxPendingPerIp);
            positive("maxPendingHandshakes", maxPendingHandshakes);
            positive("handshakeTimeout", handshakeTimeout);
            positive("upgradeTimeout", upgradeTimeout);
            if (tasks == null) {
                tasks = new TaskGuard();
            }
            return new HostConfig(this);
        }

        private static void positive(String name, long value) {
            if (value < 1) {
                throw new ConfigurationException(name + " must be at least 1, got " + value);
            }
        }

        private static void positive(String name, Duration value) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new ConfigurationException(name + " must be positive, got " + value);
            }
        }
    }
}
