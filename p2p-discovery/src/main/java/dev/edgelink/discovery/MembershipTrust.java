package dev.edgelink.discovery;

import dev.edgelink.discovery.trust.Fingerprint;
import dev.edgelink.discovery.trust.InvalidCertificateException;
import dev.edgelink.discovery.trust.NodeCertificate;
import dev.edgelink.discovery.trust.RevocationList;
import dev.edgelink.discovery.trust.TrustAnchors;
import dev.edgelink.discovery.trust.TrustProblem;
import dev.edgelink.libp2p.peer.PeerId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a record must prove before the {@link MembershipStore} takes it: the cluster CA's word on who the node is.
 *
 * <p>With a CA ({@link #withCa}), a record is admitted only if it carries a certificate that chains to one of the
 * trusted CAs, is valid now give or take the clock skew, is not revoked, and grants exactly what the record says:
 * the same peer id, node name, set of pod CIDRs and site, the relay role only if granted, and an expiry no later
 * than the certificate's. Without one ({@link #insecure}, the lab mode), a member says what it likes about itself.
 * In both modes a record issued later than now plus the skew is refused: it would outlive every sweep meant for it.
 *
 * <p>It also holds the newest revocation list of each trusted CA (lists are CA-signed, so whoever passes one on
 * cannot forge or alter it) and the peers whose certificates were revoked, for the host's connection gate.
 * Thread-safe.
 */
public final class MembershipTrust {

    private final TrustAnchors anchors;
    private final long skewMillis;
    private final Map<Fingerprint, RevocationList> revocations = new ConcurrentHashMap<>();
    private final Set<PeerId> revokedPeers = ConcurrentHashMap.newKeySet();

    private MembershipTrust(TrustAnchors anchors, Duration skew) {
        this.anchors = anchors;
        this.skewMillis = skew.toMillis();
        if (skewMillis < 0) {
            throw new IllegalArgumentException("clock skew must not be negative: " + skew);
        }
    }

    /** No CA: every member is taken at its word (labs). */
    public static MembershipTrust insecure(Duration skew) {
        return new MembershipTrust(null, skew);
    }

    /** Records must carry a certificate of one of {@code anchors}. */
    public static MembershipTrust withCa(TrustAnchors anchors, Duration skew) {
        return new MembershipTrust(Objects.requireNonNull(anchors, "anchors"), skew);
    }

    public boolean hasCa() {
        return anchors != null;
    }

    public Optional<TrustAnchors> anchors() {
        return Optional.ofNullable(anchors);
    }

    public long skewMillis() {
        return skewMillis;
    }

    /**
     * Checks a record whose signature is verified.
     *
     * @throws InvalidRecordException with {@link RejectReason#FROM_THE_FUTURE}, {@link RejectReason#NO_CERTIFICATE},
     *     {@link RejectReason#CERTIFICATE_INVALID}, {@link RejectReason#REVOKED} or
     *     {@link RejectReason#CERTIFICATE_MISMATCH}, saying what is wrong
     */
    public void admit(NodeRecord r, long nowMillis) {
        if (r.issuedAtMillis() > nowMillis + skewMillis) {
            throw new InvalidRecordException(RejectReason.FROM_THE_FUTURE, "issued at "
                    + Instant.ofEpochMilli(r.issuedAtMillis()) + ", later than now (" + Instant.ofEpochMilli(nowMillis)
                    + ") plus the clock skew " + skewMillis + " ms");
        }
        if (anchors == null) {
            return;
        }
        NodeCertificate c = r.certificate().orElseThrow(() -> new InvalidRecordException(
                RejectReason.NO_CERTIFICATE, "the record carries no certificate and this cluster has a CA"));
        try {
            anchors.verify(c, nowMillis, skewMillis);
        } catch (InvalidCertificateException e) {
            throw new InvalidRecordException(RejectReason.CERTIFICATE_INVALID, "certificate " + c.fingerprint()
                    + ": " + e.getMessage(), e);
        }
        if (revoked(c)) {
            revokedPeers.add(c.peerId());
            throw new InvalidRecordException(RejectReason.REVOKED, "certificate " + c.fingerprint() + " of node "
                    + c.nodeName() + " is revoked by the CA");
        }
        String mismatch = mismatch(r, c);
        if (mismatch != null) {
            throw new InvalidRecordException(RejectReason.CERTIFICATE_MISMATCH, mismatch + " (certificate "
                    + c.fingerprint() + ")");
        }
        revokedPeers.remove(r.peerId());
    }

    /** What the record claims beyond its certificate, or null. */
    static String mismatch(NodeRecord r, NodeCertificate c) {
        if (!c.peerId().equals(r.peerId())) {
            return "the certificate is for peer " + c.peerId() + ", not " + r.peerId();
        }
        if (!c.nodeName().equals(r.nodeName())) {
            return "the certificate is for node " + c.nodeName() + ", not " + r.nodeName();
        }
        if (!new HashSet<>(c.podCidrs()).equals(new HashSet<>(r.podCidrs()))) {
            return "pod CIDRs " + r.podCidrs() + " are not the certificate's " + c.podCidrs();
        }
        if (!c.site().equals(r.site())) {
            return "site '" + r.site() + "' is not the certificate's '" + c.site() + "'";
        }
        if (r.relayRole() == RelayRole.RELAY && !c.relay()) {
            return "the record offers a relay and the certificate does not grant the relay role";
        }
        if (r.expiresAtMillis() > c.notAfterMillis()) {
            return "the record expires at " + Instant.ofEpochMilli(r.expiresAtMillis()) + ", after its certificate ("
                    + Instant.ofEpochMilli(c.notAfterMillis()) + ")";
        }
        return null;
    }

    /** Whether the newest list of the certificate's CA revokes it. */
    public boolean revoked(NodeCertificate c) {
        RevocationList list = revocations.get(c.caFingerprint());
        return list != null && list.revokes(c);
    }

    /**
     * Takes a revocation list if it is signed by one of our CAs and newer than the one held for that CA.
     *
     * @return true if it replaced the held one (the store then drops the members it revokes)
     * @throws InvalidCertificateException if it is malformed, of an unknown CA, or its signature does not verify
     */
    public synchronized boolean offerRevocation(byte[] encoded) {
        if (anchors == null) {
            throw new InvalidCertificateException(TrustProblem.UNKNOWN_CA,
                    "this node trusts no CA (insecure mode): revocation lists mean nothing to it");
        }
        RevocationList list = anchors.verifyRevocation(encoded);
        RevocationList held = revocations.get(list.caFingerprint());
        if (held != null && held.sequence() >= list.sequence()) {
            return false;
        }
        revocations.put(list.caFingerprint(), list);
        return true;
    }

    /** The newest list of every CA. */
    public List<RevocationList> revocations() {
        return new ArrayList<>(revocations.values());
    }

    /** (CA fingerprint, sequence) of every list held: what an exchange compares. */
    public Map<Fingerprint, Long> revocationDigest() {
        Map<Fingerprint, Long> out = new HashMap<>();
        revocations.forEach((ca, list) -> out.put(ca, list.sequence()));
        return out;
    }

    public Optional<RevocationList> revocation(Fingerprint ca) {
        return Optional.ofNullable(revocations.get(ca));
    }

    /** Remembers that {@code peer}'s certificate is revoked: the host refuses its connections. */
    public void markRevoked(PeerId peer) {
        revokedPeers.add(peer);
    }

    /** Whether the last certificate seen for {@code peer} is revoked. */
    public boolean isRevoked(PeerId peer) {
        return revokedPeers.contains(peer);
    }
}
