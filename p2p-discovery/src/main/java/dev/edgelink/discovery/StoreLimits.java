package dev.edgelink.discovery;

/**
 * The limits of a {@link MembershipStore}, each with a named default.
 *
 * @param maxRecords records held at once, tombstones included; one past it is rejected with
 *     {@link RejectReason#CAPACITY}. 8192: a fleet of 5000 nodes with room for tombstones.
 * @param maxRecordLifetimeMillis longest {@code expiresAt - issuedAt} accepted, so a record cannot pin itself in
 *     the view; {@link RejectReason#LIFETIME_TOO_LONG} beyond it. 1 hour.
 * @param rejectionLogMemory how many distinct (peer, sequence, reason) rejections are remembered so that the same
 *     bad record, offered again by every gossip round, is logged once (later repeats go to DEBUG). 1024.
 */
public record StoreLimits(int maxRecords, long maxRecordLifetimeMillis, int rejectionLogMemory) {

    public static final int DEFAULT_MAX_RECORDS = 8192;
    public static final long DEFAULT_MAX_RECORD_LIFETIME_MILLIS = 60L * 60 * 1000;
    public static final int DEFAULT_REJECTION_LOG_MEMORY = 1024;
    public static final StoreLimits DEFAULT = new StoreLimits(DEFAULT_MAX_RECORDS,
            DEFAULT_MAX_RECORD_LIFETIME_MILLIS, DEFAULT_REJECTION_LOG_MEMORY);

    public StoreLimits {
        if (maxRecords < 1 || maxRecordLifetimeMillis < 1 || rejectionLogMemory < 0) {
            throw new IllegalArgumentException("store limits must be positive: " + maxRecords + ", "
                    + maxRecordLifetimeMillis + ", " + rejectionLogMemory);
        }
    }
}
