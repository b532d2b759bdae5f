package dev.edgelink.discovery;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import java.time.Duration;
import java.util.List;

/**
 * Settings of a {@link MembershipService}. Every limit and interval has a named default.
 *
 * @param gossipInterval how often we run push-pull with one random live member (and dial, refresh). 1 s.
 * @param sweepInterval how often expired records are removed; a dead node leaves every view within its record's
 *     expiry plus this. 1 s.
 * @param recordTtl lifetime of our own records. 60 s.
 * @param refreshMargin our record is re-issued (sequence + 1, new expiry) once its remaining lifetime is at most
 *     this, leaving that much time for the new one to spread. 30 s; must be below {@code recordTtl}.
 * @param bootstrapPeers dialed with backoff until connected, and again whenever the connection is lost
 * @param dialBackoffInitial first wait after a failed dial (bootstrap or member). 500 ms.
 * @param dialBackoffMax longest wait between dials of one address or member. 30 s.
 * @param maxDialsPerRound member dials started per gossip round, so that a large view does not start a storm. 8.
 * @param exchangeTimeout a push-pull exchange that has not finished by then is reset. 10 s.
 * @param maxMessageBytes largest members message sent or accepted. 4 MiB: a full store (4096 records of about
 *     0.5 KiB) plus its digest.
 * @param maxRecordsPerMessage records per message. 4096, the default store capacity.
 * @param maxDigestEntries digest entries per message. 4096, the default store capacity.
 * @param maxConcurrentExchanges exchanges the remote side may have running with us at once; more are reset. 64.
 */
public record MembershipConfig(
        Duration gossipInterval,
        Duration sweepInterval,
        Duration recordTtl,
        Duration refreshMargin,
        List<Multiaddr> bootstrapPeers,
        Duration dialBackoffInitial,
        Duration dialBackoffMax,
        int maxDialsPerRound,
        Duration exchangeTimeout,
        int maxMessageBytes,
        int maxRecordsPerMessage,
        int maxDigestEntries,
        int maxConcurrentExchanges) {

    public static final Duration DEFAULT_GOSSIP_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_RECORD_TTL = Duration.ofSeconds(60);
    public static final Duration DEFAULT_REFRESH_MARGIN = Duration.ofSeconds(30);
    public static final Duration DEFAULT_DIAL_BACKOFF_INITIAL = Duration.ofMillis(500);
    public static final Duration DEFAULT_DIAL_BACKOFF_MAX = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_DIALS_PER_ROUND = 8;
    public static final Duration DEFAULT_EXCHANGE_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
    public static final int DEFAULT_MAX_RECORDS_PER_MESSAGE = 4096;
    public static final int DEFAULT_MAX_DIGEST_ENTRIES = 4096;
    public static final int DEFAULT_MAX_CONCURRENT_EXCHANGES = 64;

    public MembershipConfig {
        bootstrapPeers = List.copyOf(bootstrapPeers);
        requirePositive("gossipInterval", gossipInterval);
        requirePositive("sweepInterval", sweepInterval);
        requirePositive("recordTtl", recordTtl);
        requirePositive("refreshMargin", refreshMargin);
        requirePositive("dialBackoffInitial", dialBackoffInitial);
        requirePositive("exchangeTimeout", exchangeTimeout);
        if (refreshMargin.compareTo(recordTtl) >= 0) {
            throw new ConfigurationException("refreshMargin " + refreshMargin + " must be shorter than recordTtl "
                    + recordTtl + " (the record would be refreshed as soon as it is issued)");
        }
        if (dialBackoffMax.compareTo(dialBackoffInitial) < 0) {
            throw new ConfigurationException("dialBackoffMax " + dialBackoffMax + " is below dialBackoffInitial "
                    + dialBackoffInitial);
        }
        if (maxDialsPerRound < 0 || maxMessageBytes < 1024 || maxRecordsPerMessage < 1 || maxDigestEntries < 1
                || maxConcurrentExchanges < 1) {
            throw new ConfigurationException("membership limits out of range: maxDialsPerRound=" + maxDialsPerRound
                    + " maxMessageBytes=" + maxMessageBytes + " maxRecordsPerMessage=" + maxRecordsPerMessage
                    + " maxDigestEntries=" + maxDigestEntries + " maxConcurrentExchanges=" + maxConcurrentExchanges);
        }
    }

    private static void requirePositive(String name, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new ConfigurationException(name + " must be positive, got " + value);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builder with the defaults above. */
    public static final class Builder {
        private Duration gossipInterval = DEFAULT_GOSSIP_INTERVAL;
        private Duration sweepInterval = DEFAULT_SWEEP_INTERVAL;
        private Duration recordTtl = DEFAULT_RECORD_TTL;
        private Duration refreshMargin = DEFAULT_REFRESH_MARGIN;
        private List<Multiaddr> bootstrapPeers = List.of();
        private Duration dialBackoffInitial = DEFAULT_DIAL_BACKOFF_INITIAL;
        private Duration dialBackoffMax = DEFAULT_DIAL_BACKOFF_MAX;
        private int maxDialsPerRound = DEFAULT_MAX_DIALS_PER_ROUND;
        private Duration exchangeTimeout = DEFAULT_EXCHANGE_TIMEOUT;
        private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
        private int maxRecordsPerMessage = DEFAULT_MAX_RECORDS_PER_MESSAGE;
        private int maxDigestEntries = DEFAULT_MAX_DIGEST_ENTRIES;
        private int maxConcurrentExchanges = DEFAULT_MAX_CONCURRENT_EXCHANGES;

        private Builder() {
        }

        public Builder gossipInterval(Duration v) {
            gossipInterval = v;
            return this;
        }

        public Builder sweepInterval(Duration v) {
            sweepInterval = v;
            return this;
        }

        /** Sets the record lifetime and, unless set after this, a refresh margin of half of it. */
        public Builder recordTtl(Duration v) {
            recordTtl = v;
            refreshMargin = v.dividedBy(2);
            return this;
        }

        public Builder refreshMargin(Duration v) {
            refreshMargin = v;
            return this;
        }

        public Builder bootstrapPeers(List<Multiaddr> v) {
            bootstrapPeers = v;
            return this;
        }

        public Builder dialBackoff(Duration initial, Duration max) {
            dialBackoffInitial = initial;
            dialBackoffMax = max;
            return this;
        }

        public Builder maxDialsPerRound(int v) {
            maxDialsPerRound = v;
            return this;
        }

        public Builder exchangeTimeout(Duration v) {
            exchangeTimeout = v;
            return this;
        }

        public Builder maxMessageBytes(int v) {
            maxMessageBytes = v;
            return this;
        }

        public Builder maxRecordsPerMessage(int v) {
            maxRecordsPerMessage = v;
            return this;
        }

        public Builder maxDigestEntries(int v) {
            maxDigestEntries = v;
            return this;
        }

        public Builder maxConcurrentExchanges(int v) {
            maxConcurrentExchanges = v;
            return this;
        }

        public MembershipConfig build() {
            return new MembershipConfig(gossipInterval, sweepInterval, recordTtl, refreshMargin, bootstrapPeers,
                    dialBackoffInitial, dialBackoffMax, maxDialsPerRound, exchangeTimeout, maxMessageBytes,
                    maxRecordsPerMessage, maxDigestEntries, maxConcurrentExchanges);
        }
    }
}
