package dev.edgelink.libp2p.host;

import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.pnet.SwarmKey;
import dev.edgelink.libp2p.threads.TaskGuard;
import dev.edgelink.libp2p.yamux.YamuxConfig;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a {@link Host} can be told. Every limit has a named default here and is enforced in one place.
 */
public final class HostConfig {

    /** Agent version sent in identify. */
    public static final String DEFAULT_AGENT_VERSION = "edgelink/0.1.0";
    public static final Duration DEFAULT_DIAL_TIMEOUT = Duration.ofSeconds(10);
    /** From TCP connected to muxer ready: multistream, noise handshake, muxer choice. */
    public static final Duration DEFAULT_UPGRADE_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_MAX_CONNECTIONS = 1024;
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
    private final int maxConnections;
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
        this.maxConnections = b.maxConnections;
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

    public int maxConnections() {
        return maxConnections;
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
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
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

        public Builder maxConnections(int max) {
            this.maxConnections = max;
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

        public HostConfig build() {
            if (tasks == null) {
                tasks = new TaskGuard();
            }
            return new HostConfig(this);
        }
    }
}
