package dev.edgelink.discovery.internal.store;

import dev.edgelink.discovery.DepartureReason;
import dev.edgelink.discovery.InvalidRecordException;
import dev.edgelink.discovery.MembershipListener;
import dev.edgelink.discovery.MembershipStore;
import dev.edgelink.discovery.MembershipTrust;
import dev.edgelink.discovery.NodeRecord;
import dev.edgelink.discovery.NodeRecords;
import dev.edgelink.discovery.OfferResult;
import dev.edgelink.discovery.RejectReason;
import dev.edgelink.discovery.SignedRecord;
import dev.edgelink.discovery.StoreLimits;
import dev.edgelink.discovery.trust.Fingerprint;
import dev.edgelink.discovery.trust.InvalidCertificateException;
import dev.edgelink.discovery.trust.NodeCertificate;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.net.IpPrefix;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link MembershipStore} in a map under one lock. A new record's clashes with other nodes (name, pod CIDRs) are
 * looked up in a {@link ClaimIndex}, not found by a scan of every record: a full sync of N records stays linear in N.
 * Signatures are verified before the lock is taken, so a burst of bad records does not hold up readers.
 *
 * <p>With a CA, two valid certificates that claim the same node name or overlapping pod CIDRs are a CA mistake,
 * and neither node can be trusted with the claim: both are refused ({@link RejectReason#DISPUTED}) and the one
 * held is dropped, whichever came first, until the CA revokes one of them or they expire. Without a CA the first
 * record to arrive keeps the name and CIDRs, as before: there is nobody to ask.
 */
public final class InMemoryMembershipStore implements MembershipStore {

    private static final Logger LOG = LoggerFactory.getLogger(InMemoryMembershipStore.class);

    private final StoreLimits limits;
    private final MembershipTrust trust;
    private final Map<PeerId, SignedRecord> records = new HashMap<>();
    /** The names and pod CIDRs claimed by the records held, leaving ones excepted: what a new record may clash with. */
    private final ClaimIndex claims = new ClaimIndex();
    /** Certificates in a dispute, by fingerprint. */
    private final Map<Fingerprint, NodeCertificate> disputed = new HashMap<>();
    /** Who disputes whom: a certificate is free again once every certificate it clashed with is revoked. */
    private final Map<Fingerprint, Set<Fingerprint>> rivals = new HashMap<>();
    private final List<MembershipListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, Boolean> logged;
    /** Counts changes of {@link #records}' (peer, sequence) pairs. */
    private long version;

    public InMemoryMembershipStore(StoreLimits limits, MembershipTrust trust) {
        this.limits = limits;
        this.trust = trust;
        this.logged = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > limits.rejectionLogMemory();
            }
        };
    }

    @Override
    public OfferResult offer(byte[] envelope, long nowMillis) {
        SignedRecord record;
        try {
            record = NodeRecords.verify(envelope);
        } catch (InvalidRecordException e) {
            synchronized (this) {
                return reject(e.reason(), e.getMessage(), e.reason() + "|" + e.getMessage(), null);
            }
        }
        return offer(record, nowMillis);
    }

    @Override
    public synchronized OfferResult offer(SignedRecord signed, long nowMillis) {
        NodeRecord r = signed.record();
        if (!r.isLiveAt(nowMillis)) {
            return reject(RejectReason.EXPIRED, "expired at " + r.expiresAtMillis() + " (now " + nowMillis + ")",
                    null, signed);
        }
        long lifetime = r.expiresAtMillis() - r.issuedAtMillis();
        if (lifetime > limits.maxRecordLifetimeMillis()) {
            return reject(RejectReason.LIFETIME_TOO_LONG, "lifetime " + lifetime + " ms is longer than the limit "
                    + limits.maxRecordLifetimeMillis() + " ms", null, signed);
        }
        SignedRecord held = records.get(r.peerId());
        if (held != null && held.sequence() >= r.sequence()) {
            return stale(signed, held);
        }
        try {
            trust.admit(r, nowMillis);
        } catch (InvalidRecordException e) {
            return reject(e.reason(), e.getMessage(), null, signed);
        }
        Optional<NodeCertificate> cert = r.certificate().filter(c -> trust.hasCa());
        if (cert.isPresent() && disputed.containsKey(cert.get().fingerprint())) {
            return reject(RejectReason.DISPUTED, "certificate " + cert.get().fingerprint() + " overlaps another valid"
                    + " certificate; both are refused until the CA revokes one", null, signed);
        }
        if (!r.leaving()) {
            Optional<OfferResult> conflict = conflict(signed, nowMillis);
            if (conflict.isPresent()) {
                return conflict.get();
            }
        }
        if (held == null && records.size() >= limits.maxRecords()) {
            return reject(RejectReason.CAPACITY, "the store holds " + records.size() + " records, its limit",
                    null, signed);
        }
        hold(held, signed);
        announce(held, signed);
        return OfferResult.accepted();
    }

    /** Puts {@code current} in place of {@code held} (null if none): in the map and in the claim index. */
    private void hold(SignedRecord held, SignedRecord current) {
        records.put(current.peerId(), current);
        version++;
        if (held != null && !held.record().leaving()) {
            claims.remove(held.record());
        }
        if (!current.record().leaving()) {
            claims.add(current.record());
        }
    }

    /** Forgets a record that was held: its claims go with it. */
    private void unindex(SignedRecord r) {
        if (!r.record().leaving()) {
            claims.remove(r.record());
        }
    }

    /** A pod CIDR or the node name of another live node. */
    private Optional<OfferResult> conflict(SignedRecord signed, long nowMillis) {
        NodeRecord r = signed.record();
        for (PeerId candidate : claims.candidates(r)) {
            SignedRecord other = records.get(candidate);
            NodeRecord o = other.record();
            if (o.leaving() || !o.isLiveAt(nowMillis) || o.peerId().equals(r.peerId())) {
                continue;
            }
            String clash = clash(r, o);
            if (clash == null) {
                continue;
            }
            if (trust.hasCa() && r.certificate().isPresent() && o.certificate().isPresent()) {
                return Optional.of(dispute(signed, other, clash));
            }
            RejectReason reason = o.nodeName().equals(r.nodeName()) ? RejectReason.NODE_NAME_TAKEN
                    : RejectReason.POD_CIDR_OVERLAP;
            return Optional.of(reject(reason, clash, null, signed));
        }
        return Optional.empty();
    }

    /** What the two records both claim, or null. */
    private static String clash(NodeRecord r, NodeRecord o) {
        if (o.nodeName().equals(r.nodeName())) {
            return "node name is used by live peer " + o.peerId();
        }
        for (IpPrefix mine : r.podCidrs()) {
            for (IpPrefix theirs : o.podCidrs()) {
                if (mine.overlaps(theirs)) {
                    return "pod CIDR " + mine + " overlaps " + theirs + " of live node " + o.nodeName() + " (peer "
                            + o.peerId() + ")";
                }
            }
        }
        return null;
    }

    /** Two valid certificates claim the same thing: neither is held from now on. */
    private OfferResult dispute(SignedRecord signed, SignedRecord held, String clash) {
        NodeCertificate a = signed.record().certificate().orElseThrow();
        NodeCertificate b = held.record().certificate().orElseThrow();
        disputed.put(a.fingerprint(), a);
        disputed.put(b.fingerprint(), b);
        rivals.computeIfAbsent(a.fingerprint(), f -> new HashSet<>()).add(b.fingerprint());
        rivals.computeIfAbsent(b.fingerprint(), f -> new HashSet<>()).add(a.fingerprint());
        LOG.error("two valid certificates overlap, a CA mistake: node {} (peer {}, certificate {}) and node {} "
                + "(peer {}, certificate {}): {}; both are refused until the CA revokes one", a.nodeName(),
                a.peerId(), a.fingerprint().hex(), b.nodeName(), b.peerId(), b.fingerprint().hex(), clash);
        drop(held, DepartureReason.REVOKED);
        return reject(RejectReason.DISPUTED, clash + "; certificate " + b.fingerprint() + " claims it too", null,
                signed);
    }

    /** Removes a live member and tells the listeners. */
    private void drop(SignedRecord r, DepartureReason reason) {
        records.remove(r.peerId());
        version++;
        unindex(r);
        if (r.record().leaving()) {
            return;
        }
        LOG.info("member removed node={} peer={} seq={} reason={}", r.nodeName(), r.peerId(), r.sequence(), reason);
        tellLeft(r, reason);
    }

    /** Tells every listener that {@code r}'s node left; a listener that throws does not stop the others. */
    private void tellLeft(SignedRecord r, DepartureReason reason) {
        for (MembershipListener l : listeners) {
            try {
                l.left(r, reason);
            } catch (RuntimeException e) {
                LOG.error("membership listener failed node={} peer={}", r.nodeName(), r.peerId(), e);
            }
        }
    }

    @Override
    public OfferResult offerRevocation(byte[] encoded, long nowMillis) {
        boolean newer;
        try {
            newer = trust.offerRevocation(encoded);
        } catch (InvalidCertificateException e) {
            String detail = "revocation list refused: " + e.getMessage();
            synchronized (this) {
                if (firstTime("REVOCATION|" + e.getMessage())) {
                    LOG.warn(detail);
                }
            }
            return OfferResult.rejected(RejectReason.CERTIFICATE_INVALID, detail);
        }
        if (!newer) {
            return OfferResult.stale("not newer than the held revocation list");
        }
        applyRevocations();
        return OfferResult.accepted();
    }

    /** Drops every member, tombstone and dispute whose certificate the held lists revoke. */
    private synchronized void applyRevocations() {
        for (SignedRecord r : List.copyOf(records.values())) {
            Optional<NodeCertificate> c = r.record().certificate();
            if (c.isPresent() && trust.revoked(c.get())) {
                trust.markRevoked(r.peerId());
                LOG.warn("member revoked by the CA node={} peer={} certificate={}", r.nodeName(), r.peerId(),
                        c.get().fingerprint().hex());
                drop(r, DepartureReason.REVOKED);
            }
        }
        for (NodeCertificate c : List.copyOf(disputed.values())) {
            if (trust.revoked(c)) {
                settle(c.fingerprint());
            }
        }
    }

    /** {@code revoked} is out of every dispute; a rival left without one is free again (taken at its next offer). */
    private void settle(Fingerprint revoked) {
        Set<Fingerprint> others = rivals.remove(revoked);
        disputed.remove(revoked);
        if (others == null) {
            return;
        }
        for (Fingerprint other : others) {
            Set<Fingerprint> theirs = rivals.get(other);
            if (theirs != null) {
                theirs.remove(revoked);
                if (theirs.isEmpty()) {
                    rivals.remove(other);
                    disputed.remove(other);
                    LOG.info("certificate {} is free again: the certificate it clashed with ({}) is revoked",
                            other.hex(), revoked.hex());
                }
            }
        }
    }

    @Override
    public MembershipTrust trust() {
        return trust;
    }

    private OfferResult stale(SignedRecord signed, SignedRecord held) {
        String detail = "sequence " + signed.sequence() + " is not newer than the held " + held.sequence()
                + (held.record().leaving() ? " (node left)" : "");
        if (signed.sequence() == held.sequence()) {
            LOG.debug("node record ignored: {} node={} peer={}", detail, signed.nodeName(), signed.peerId());
        } else if (firstTime("STALE|" + signed.peerId() + "|" + signed.sequence())) {
            LOG.info("node record ignored: {} node={} peer={}", detail, signed.nodeName(), signed.peerId());
        }
        return OfferResult.stale(detail);
    }

    private OfferResult reject(RejectReason reason, String detail, String memoKey, SignedRecord signed) {
        String key = memoKey != null ? memoKey : reason + "|" + signed.peerId() + "|" + signed.sequence();
        String node = signed == null ? "?" : signed.nodeName();
        String peer = signed == null ? "?" : signed.peerId().toString();
        if (!firstTime(key)) {
            LOG.debug("node record rejected again: {} reason={} node={} peer={}", detail, reason, node, peer);
        } else if (reason == RejectReason.EXPIRED) {
            LOG.info("node record rejected: {} reason={} node={} peer={}", detail, reason, node, peer);
        } else {
            LOG.warn("node record rejected: {} reason={} node={} peer={}", detail, reason, node, peer);
        }
        return OfferResult.rejected(reason, detail);
    }

    private boolean firstTime(String key) {
        return limits.rejectionLogMemory() == 0 || logged.put(key, Boolean.TRUE) == null;
    }

    private void announce(SignedRecord held, SignedRecord current) {
        boolean wasLive = held != null && !held.record().leaving();
        if (current.record().leaving() && wasLive) {
            LOG.info("member left node={} peer={} seq={}", current.nodeName(), current.peerId(), current.sequence());
        } else if (!current.record().leaving() && !wasLive) {
            LOG.info("member joined node={} peer={} seq={} pod-cidrs={}", current.nodeName(), current.peerId(),
                    current.sequence(), current.record().podCidrs());
        }
        for (MembershipListener l : listeners) {
            try {
                if (current.record().leaving()) {
                    if (wasLive) {
                        l.left(held, DepartureReason.LEFT);
                    }
                } else if (wasLive) {
                    l.updated(held, current);
                } else {
                    l.joined(current);
                }
            } catch (RuntimeException e) {
                LOG.error("membership listener failed node={} peer={}", current.nodeName(), current.peerId(), e);
            }
        }
    }

    @Override
    public synchronized List<SignedRecord> members() {
        List<SignedRecord> live = new ArrayList<>();
        for (SignedRecord r : records.values()) {
            if (!r.record().leaving()) {
                live.add(r);
            }
        }
        return live;
    }

    @Override
    public synchronized Optional<SignedRecord> member(PeerId peer) {
        SignedRecord r = records.get(peer);
        return r == null || r.record().leaving() ? Optional.empty() : Optional.of(r);
    }

    @Override
    public synchronized Optional<SignedRecord> memberByName(String nodeName) {
        for (SignedRecord r : records.values()) {
            if (!r.record().leaving() && r.nodeName().equals(nodeName)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    @Override
    public synchronized Optional<SignedRecord> record(PeerId peer) {
        return Optional.ofNullable(records.get(peer));
    }

    @Override
    public synchronized Map<PeerId, Long> digest() {
        Map<PeerId, Long> digest = new HashMap<>();
        records.forEach((peer, r) -> digest.put(peer, r.sequence()));
        return digest;
    }

    @Override
    public synchronized long version() {
        return version;
    }

    @Override
    public synchronized int sweep(long nowMillis) {
        for (NodeCertificate c : List.copyOf(disputed.values())) {
            if (c.notAfterMillis() <= nowMillis) {
                settle(c.fingerprint());
            }
        }
        int removed = 0;
        for (Iterator<SignedRecord> it = records.values().iterator(); it.hasNext();) {
            SignedRecord r = it.next();
            if (r.record().isLiveAt(nowMillis)) {
                continue;
            }
            it.remove();
            unindex(r);
            removed++;
            version++;
            if (!r.record().leaving()) {
                LOG.info("member expired node={} peer={} seq={}", r.nodeName(), r.peerId(), r.sequence());
                tellLeft(r, DepartureReason.EXPIRED);
            }
        }
        return removed;
    }

    @Override
    public void addListener(MembershipListener listener) {
        listeners.add(listener);
    }

    @Override
    public void removeListener(MembershipListener listener) {
        listeners.remove(listener);
    }
}
