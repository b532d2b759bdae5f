package dev.edgelink.discovery.trust;

import dev.edgelink.discovery.internal.trust.SignatureCache;
import dev.edgelink.discovery.internal.trust.TrustFields;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The CAs a node trusts: usually one, two while the cluster moves to a new CA. Decides whether a node certificate
 * is valid now: issued by one of them, signed by it, and within both its own validity and its CA's.
 *
 * <p>Node certificates travel in every node record, so the same certificate is checked again and again. The
 * outcome of the signature check is kept in a bounded LRU cache keyed by the certificate's fingerprint (the SHA-256
 * of its exact bytes): a certificate seen before costs a map lookup, not an Ed25519 verification, while the same
 * fields under another signature are a different key and are checked afresh. Time is checked on every call, against
 * the instant the caller passes. Thread-safe.
 */
public final class TrustAnchors {

    /** Signature outcomes kept by default: one per node certificate of a large cluster, with room for renewals. */
    public static final int DEFAULT_CACHE_ENTRIES = 8192;

    private final List<CaCertificate> cas;
    private final Map<Fingerprint, CaCertificate> byFingerprint;
    private final SignatureCache cache;
    private final AtomicLong signatureChecks = new AtomicLong();

    private TrustAnchors(List<CaCertificate> cas, int cacheEntries) {
        Map<Fingerprint, CaCertificate> map = new LinkedHashMap<>();
        for (CaCertificate ca : cas) {
            map.putIfAbsent(ca.fingerprint(), ca);
        }
        this.byFingerprint = map;
        this.cas = List.copyOf(map.values());
        this.cache = new SignatureCache(cacheEntries);
    }

    /**
     * Trusts {@code cas} (duplicates count once), with a cache of {@value #DEFAULT_CACHE_ENTRIES} entries.
     *
     * @throws IllegalArgumentException if the list is empty
     */
    public static TrustAnchors of(List<CaCertificate> cas) {
        return of(cas, DEFAULT_CACHE_ENTRIES);
    }

    /** As {@link #of(List)} with a signature cache of {@code cacheEntries} (at least 1). */
    public static TrustAnchors of(List<CaCertificate> cas, int cacheEntries) {
        if (cas.isEmpty()) {
            throw new IllegalArgumentException("trust anchors need at least one CA certificate");
        }
        return new TrustAnchors(cas, cacheEntries);
    }

    /** The trusted CAs, in the order given. */
    public List<CaCertificate> cas() {
        return cas;
    }

    public Optional<CaCertificate> ca(Fingerprint fingerprint) {
        return Optional.ofNullable(byFingerprint.get(fingerprint));
    }

    /**
     * Checks that {@code c} is valid at {@code nowMillis}, allowing {@code skewMillis} of clock difference either
     * way. Revocation is not checked here: see {@link RevocationList#revokes}.
     *
     * @throws InvalidCertificateException UNKNOWN_CA if its CA is not one of ours, BAD_SIGNATURE, NOT_YET_VALID if
     *     {@code now + skew} is before the start of the certificate or of its CA, EXPIRED if {@code now - skew} is at
     *     or after the end of either
     */
    public void verify(NodeCertificate c, long nowMillis, long skewMillis) {
        if (skewMillis < 0) {
            throw new IllegalArgumentException("clock skew must not be negative, got " + skewMillis);
        }
        CaCertificate ca = byFingerprint.get(c.caFingerprint());
        if (ca == null) {
            throw new InvalidCertificateException(TrustProblem.UNKNOWN_CA, subject(c) + " is issued by CA "
                    + c.caFingerprint().hex() + ", which is not trusted here (trusted: " + trusted() + ")");
        }
        if (!signatureValid(c, ca)) {
            throw new InvalidCertificateException(TrustProblem.BAD_SIGNATURE, subject(c)
                    + ": the signature does not verify under the key of CA '" + ca.name() + "' (" + ca.fingerprint()
                    + ")");
        }
        long latest = saturatedAdd(nowMillis, skewMillis);
        long earliest = saturatedAdd(nowMillis, -skewMillis);
        String now = " (now " + TrustFields.iso(nowMillis) + ", allowed skew " + skewMillis + " ms)";
        if (latest < ca.notBeforeMillis()) {
            throw new InvalidCertificateException(TrustProblem.NOT_YET_VALID, subject(c) + ": its CA '" + ca.name()
                    + "' (" + ca.fingerprint() + ") is valid only from " + TrustFields.iso(ca.notBeforeMillis()) + now);
        }
        if (earliest >= ca.notAfterMillis()) {
            throw new InvalidCertificateException(TrustProblem.EXPIRED, subject(c) + ": its CA '" + ca.name()
                    + "' (" + ca.fingerprint() + ") expired at " + TrustFields.iso(ca.notAfterMillis()) + now);
        }
        if (latest < c.notBeforeMillis()) {
            throw new InvalidCertificateException(TrustProblem.NOT_YET_VALID, subject(c) + " is valid only from "
                    + TrustFields.iso(c.notBeforeMillis()) + now);
        }
        if (earliest >= c.notAfterMillis()) {
            throw new InvalidCertificateException(TrustProblem.EXPIRED, subject(c) + " expired at "
                    + TrustFields.iso(c.notAfterMillis()) + now);
        }
    }

    /**
     * Decodes a revocation list and checks its signature under the trusted CA it names. Says nothing about its
     * sequence (whether it is newer than the one held): that is the holder's decision.
     *
     * @throws InvalidCertificateException MALFORMED, WRONG_KIND, UNKNOWN_CA or BAD_SIGNATURE
     */
    public RevocationList verifyRevocation(byte[] encoded) {
        RevocationList list = RevocationList.parse(encoded);
        String subject = "revocation list " + list.fingerprint() + " (sequence " + list.sequence() + ")";
        CaCertificate ca = byFingerprint.get(list.caFingerprint());
        if (ca == null) {
            throw new InvalidCertificateException(TrustProblem.UNKNOWN_CA, subject + " is issued by CA "
                    + list.caFingerprint().hex() + ", which is not trusted here (trusted: " + trusted() + ")");
        }
        signatureChecks.incrementAndGet();
        if (!list.signatureValidUnder(ca)) {
            throw new InvalidCertificateException(TrustProblem.BAD_SIGNATURE, subject
                    + ": the signature does not verify under the key of CA '" + ca.name() + "' (" + ca.fingerprint()
                    + ")");
        }
        return list;
    }

    /** How many Ed25519 verifications this instance has made (cache misses and revocation lists). */
    public long signatureChecks() {
        return signatureChecks.get();
    }

    private boolean signatureValid(NodeCertificate c, CaCertificate ca) {
        Boolean cached = cache.get(c.fingerprint());
        if (cached != null) {
            return cached;
        }
        signatureChecks.incrementAndGet();
        boolean valid = c.signatureValidUnder(ca);
        cache.put(c.fingerprint(), valid);
        return valid;
    }

    private String trusted() {
        List<String> names = new ArrayList<>();
        for (CaCertificate ca : cas) {
            names.add("'" + ca.name() + "' " + ca.fingerprint());
        }
        return String.join(", ", names);
    }

    private static String subject(NodeCertificate c) {
        return "node certificate " + c.fingerprint() + " for node '" + c.nodeName() + "'";
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        if (((a ^ r) & (b ^ r)) < 0) {
            return b > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
        }
        return r;
    }
}
