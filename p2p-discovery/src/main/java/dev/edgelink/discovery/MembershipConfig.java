package dev.edgelink.discovery;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import java.time.Duration;
import java.util.List;

/**
 * Settings of a {@link MembershipService}. Every limit and interval has a named default.
 *
 * @param gossipInterval how often we run an exchange with one random connected member (and dial, refresh). 1 s.
 * @param sweepInterval how often expired records are removed; a dead node leaves every view within its record's
 *     expiry plus this. 1 s.
 * @param recordTtl lifetime of our own records: a node that stops without leaving stays in the views this long.
 *     10 min: re-issuing 1000 records every 5 min is 3.3 new records a second across the fleet.
 * @param refreshMargin our record is re-issued (sequence + 1, new expiry) once its remaining lifetime is at most
 *     this, leaving that much time for the new one to spread. 5 min; must be below {@code recordTtl}.
 * @param bootstrapPeers dialed with backoff until connected, and again whenever the connection is lost
 * @param dialBackoffInitial first wait after a failed dial (bootstrap or member). 500 ms.
 * @param dialBackoffMax longest wait between dials of one address or member. 30 s.
 * @param maxDialsPerRound member dials started per gossip round, so that a large view does not start a storm. 8.
 * @param exchangeTimeout an exchange in which no message has gone either way for this long is reset. 10 s.
 * @param maxMessageBytes largest members message sent or accepted: a page of records; more go in further turns
 *     of the same exchange. 1 MiB (about 1000 records with certificates); at least 16 KiB.
 * @param maxRecords records the view holds at most (the store's capacity), and the entries and records one message
 *     may carry. 8192.
 * @param maxConcurrentExchanges exchanges the remote side may have running with us at once; more are reset. 64.
 * @param dialMembers whether we dial the members we learn of by their listen addresses (a full mesh, for tests and
 *     small clusters). Off, exchanges run only over the connections someone else made (a connection manager):
 *     see {@link MembershipService#needsPartners()}. On.
 * @param pushFanout how many connected members a record that is news to us (a new member, a changed record, a
 *     departure; not a mere refresh) is pushed to at once, besides the periodic exchanges. 3.
 * @param pushMaxAge a record is pushed on only while younger than this by its issue time, so that a node catching up
 *     on an old view does not announce it all again. 60 s (twice the default clock skew).
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
        int maxRecords,
        int maxConcurrentExchanges,
        boolean dialMembers,
        int pushFanout,
        Duration pushMaxAge) {

    public static final Duration DEFAULT_GOSSIP_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_RECORD_TTL = Duration.ofMinutes(10);
    public static final Duration DEFAULT_REFRESH_MARGIN = Duration.ofMinutes(5);
    public static final Duration DEFAULT_DIAL_BACKOFF_INITIAL = Duration.ofMillis(500);
    public static final Duration DEFAULT_DIAL_BACKOFF_MAX = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_DIALS_PER_ROUND = 8;
    public static final Duration DEFAULT_EXCHANGE_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
    public static final int MIN_MESSAGE_BYTES = 16 * 1024;
    public static final int DEFAULT_MAX_RECORDS = StoreLimits.DEFAULT_MAX_RECORDS;
    /** Fewer would not hold one listing of a range ({@code PushPullSession.LEAF_ENTRIES}) and its header. */
    public static final int MIN_RECORDS = 64;
    public static final int DEFAULT_MAX_CONCURRENT_EXCHANGES = 64;
    public static final int DEFAULT_PUSH_FANOUT = 3;
    public static final int MAX_PUSH_FANOUT = 32;
    public static final Duration DEFAULT_PUSH_MAX_AGE = Duration.ofSeconds(60);

    public MembershipConfig {
        bootstrapPeers = List.copyOf(bootstrapPeers);
        requirePositive("gossipInterval", gossipInterval);
        requirePositive("sweepInterval", sweepInterval);
        requirePositive("recordTtl", recordTtl);
        requirePositive("refreshMargin", refreshMargin);
        requirePositive("dialBackoffInitial", dialBackoffInitial);
        requirePositive("exchangeTimeout", exchangeTimeout);
        requirePositive("pushMaxAge", pushMaxAge);
        if (refreshMargin.compareTo(recordTtl) >= 0) {
            throw new ConfigurationException("refreshMargin " + refreshMargin + " must be shorter than recordTtl "
                    + recordTtl + " (the record would be refreshed as soon as it is issued)");
        }
        if (dialBackoffMax.compareTo(dialBackoffInitial) < 0) {
            throw new ConfigurationException("dialBackoffMax " + dialBackoffMax + " is below dialBackoffInitial "
                    + dialBackoffInitial);
        }
        if (maxDialsPerRound < 0 || maxMessageBytes < MIN_MESSAGE_BYTES || maxRecords < MIN_RECORDS
                || maxConcurrentExchanges < 1 || pushFanout < 0 || pushFanout > MAX_PUSH_FANOUT) {
            throw new ConfigurationException("membership limits out of range: maxDialsPerRound=" + maxDialsPerRound
                    + " maxMessageBytes=" + maxMessageBytes + " (at least " + MIN_MESSAGE_BYTES + ") maxRecords="
                    + maxRecords + " (at least " + MIN_RECORDS + ") maxConcurrentExchanges=" + maxConcurrentExchanges
                    + " pushFanout=" + pushFanout + " (0.." + MAX_PUSH_FANOUT + ")");
        }
    }

    /** The store's limits that go with these settings: {@link #maxRecords} records, the other limits' defaults. */
    public StoreLimits storeLimits() {
        return new StoreLimits(maxRecords, StoreLimits.DEFAULT_MAX_RECORD_LIFETIME_MILLIS,
                StoreLimits.DEFAULT_REJECTION_LOG_MEMORY);
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
        private int maxRecords = DEFAULT_MAX_RECORDS;
        private int maxConcurrentExchanges = DEFAULT_MAX_CONCURRENT_EXCHANGES;
        private boolean dialMembers = true;
        private int pushFanout = DEFAULT_PUSH_FANOUT;
        private Duration pushMaxAge = DEFAULT_PUSH_MAX_AGE;

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

        public Builder maxRecords(int v) {
            maxRecords = v;
            return this;
        }

        public Builder dialMembers(boolean v) {
            dialMembers = v;
            return this;
        }

        public Builder pushFanout(int v) {
            pushFanout = v;
            return this;
        }

        public Builder pushMaxAge(Duration v) {
            pushMaxAge = v;
            return this;
        }

        public Builder maxConcurrentExchanges(int v) {
            maxConcurrentExchanges = v;
            return this;
        }

        public MembershipConfig build() {
            return new MembershipConfig(gossipInterval, sweepInterval, recordTtl, refreshMargin, bootstrapPeers,
                    dialBackoffInitial, dialBackoffMax, maxDialsPerRound, exchangeTimeout, maxMessageBytes, maxRecords,
                    maxConcurrentExchanges, dialMembers, pushFanout, pushMaxAge);
        }
    }
}
