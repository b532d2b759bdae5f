package dev.edgelink.discovery;

import dev.edgelink.discovery.internal.store.InMemoryMembershipStore;
import dev.edgelink.libp2p.peer.PeerId;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The membership view: the newest verified record of every node, live members and tombstones of nodes that left.
 *
 * <p>Rules, the same for every implementation (see the contract test):
 * <ul>
 *   <li>A record is accepted when it is not expired ({@code now < expiresAt}), not longer-lived than the limit, its
 *       sequence is higher than the one held for its peer (else {@link OfferResult.Status#STALE}), none of its pod
 *       CIDRs overlaps a pod CIDR of another live node, and no other live node uses its name.</li>
 *   <li>A record with {@code leaving} set turns its node into a tombstone: not a member any more, but kept until
 *       its expiry so that an older copy still travelling the mesh cannot bring the node back.</li>
 *   <li>Nothing ever reads the wall clock: time comes in as {@code nowMillis}. A record disappears at the first
 *       {@link #sweep(long)} at or after its expiry.</li>
 *   <li>Every rejection and every stale offer is logged in one line saying why (a repeat of the same one at
 *       DEBUG).</li>
 * </ul>
 * Implementations are thread-safe.
 */
public interface MembershipStore {

    /** A store in memory with the default limits and no CA (every member is taken at its word). */
    static MembershipStore inMemory() {
        return inMemory(StoreLimits.DEFAULT);
    }

    static MembershipStore inMemory(StoreLimits limits) {
        return new InMemoryMembershipStore(limits, MembershipTrust.insecure(DEFAULT_CLOCK_SKEW));
    }

    static MembershipStore inMemory(StoreLimits limits, MembershipTrust trust) {
        return new InMemoryMembershipStore(limits, trust);
    }

    /** How far apart two nodes' clocks may be unless configured otherwise. */
    java.time.Duration DEFAULT_CLOCK_SKEW = java.time.Duration.ofSeconds(30);

    /**
     * Offers a CA-signed revocation list: taken if it is newer than the one held for its CA, and then every member
     * whose certificate it revokes is removed ({@link DepartureReason#REVOKED}). REJECTED if it does not verify.
     */
    OfferResult offerRevocation(byte[] encoded, long nowMillis);

    /** What records must prove, and the revocation lists held. */
    MembershipTrust trust();

    /** Offers a verified record. */
    OfferResult offer(SignedRecord record, long nowMillis);

    /** Verifies an envelope as received from a peer, then offers it; a record that fails verification is REJECTED. */
    OfferResult offer(byte[] envelope, long nowMillis);

    /** Live members (tombstones excluded), in no particular order. */
    List<SignedRecord> members();

    /** The live member with this peer id. */
    Optional<SignedRecord> member(PeerId peer);

    /** The live member with this node name. */
    Optional<SignedRecord> memberByName(String nodeName);

    /** The record held for {@code peer}, live or tombstone: what anti-entropy compares and forwards. */
    Optional<SignedRecord> record(PeerId peer);

    /** (peer, sequence) of every record held, tombstones included. */
    Map<PeerId, Long> digest();

    /**
     * A number that changes whenever the (peer, sequence) pairs of {@link #digest()} change, so that what is
     * derived from the digest (the index anti-entropy compares) is rebuilt only then. Read it before the digest:
     * a digest read after it is at least as new.
     */
    long version();

    /**
     * Removes every record whose expiry is at or before {@code nowMillis}; a live member removed this way is
     * reported as {@link DepartureReason#EXPIRED}.
     *
     * @return how many records were removed
     */
    int sweep(long nowMillis);

    void addListener(MembershipListener listener);

    void removeListener(MembershipListener listener);
}
