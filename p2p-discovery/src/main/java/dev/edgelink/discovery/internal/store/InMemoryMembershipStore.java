package dev.edgelink.discovery.internal.store;

import dev.edgelink.discovery.DepartureReason;
import dev.edgelink.discovery.InvalidRecordException;
import dev.edgelink.discovery.IpPrefix;
import dev.edgelink.discovery.MembershipListener;
import dev.edgelink.discovery.MembershipStore;
import dev.edgelink.discovery.NodeRecord;
import dev.edgelink.discovery.NodeRecords;
import dev.edgelink.discovery.OfferResult;
import dev.edgelink.discovery.RejectReason;
import dev.edgelink.discovery.SignedRecord;
import dev.edgelink.discovery.StoreLimits;
import dev.edgelink.libp2p.peer.PeerId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link MembershipStore} in a map under one lock. Checks are linear in the number of records, which is bounded
 * by {@link StoreLimits#maxRecords()} and small next to one signature verification for the sizes we expect.
 */
public final class InMemoryMembershipStore implements MembershipStore {

    private static final Logger LOG = LoggerFactory.getLogger(InMemoryMembershipStore.class);

    private final StoreLimits limits;
    private final Map<PeerId, SignedRecord> records = new HashMap<>();
    private final List<MembershipListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, Boolean> logged;

    public InMemoryMembershipStore(StoreLimits limits) {
        this.limits = limits;
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
        records.put(r.peerId(), signed);
        announce(held, signed);
        return OfferResult.accepted();
    }

    /** A pod CIDR or the node name of another live node. */
    private Optional<OfferResult> conflict(SignedRecord signed, long nowMillis) {
        NodeRecord r = signed.record();
        for (SignedRecord other : records.values()) {
            NodeRecord o = other.record();
            if (o.leaving() || !o.isLiveAt(nowMillis) || o.peerId().equals(r.peerId())) {
                continue;
            }
            if (o.nodeName().equals(r.nodeName())) {
                return Optional.of(reject(RejectReason.NODE_NAME_TAKEN, "node name is used by live peer "
                        + o.peerId(), null, signed));
            }
            for (IpPrefix mine : r.podCidrs()) {
                for (IpPrefix theirs : o.podCidrs()) {
                    if (mine.overlaps(theirs)) {
                        return Optional.of(reject(RejectReason.POD_CIDR_OVERLAP, "pod CIDR " + mine + " overlaps "
                                + theirs + " of live node " + o.nodeName() + " (peer " + o.peerId() + ")", null,
                                signed));
                    }
                }
            }
        }
        return Optional.empty();
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
    public synchronized int sweep(long nowMillis) {
        int removed = 0;
        for (Iterator<SignedRecord> it = records.values().iterator(); it.hasNext();) {
            SignedRecord r = it.next();
            if (r.record().isLiveAt(nowMillis)) {
                continue;
            }
            it.remove();
            removed++;
            if (!r.record().leaving()) {
                LOG.info("member expired node={} peer={} seq={}", r.nodeName(), r.peerId(), r.sequence());
                for (MembershipListener l : listeners) {
                    try {
                        l.left(r, DepartureReason.EXPIRED);
                    } catch (RuntimeException e) {
                        LOG.error("membership listener failed node={} peer={}", r.nodeName(), r.peerId(), e);
                    }
                }
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
