package dev.edgelink.discovery.trust;

import dev.edgelink.discovery.internal.trust.TrustBodies;
import dev.edgelink.discovery.internal.trust.TrustCodec;
import dev.edgelink.discovery.internal.trust.TrustFields;
import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.crypto.PrivKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A CA's list of revoked node certificates, signed by the CA and numbered: a later list (higher
 * {@link #sequence()}) replaces an earlier one, and each list holds everything revoked so far.
 *
 * <p>Two ways to revoke: by certificate fingerprint (exactly that certificate), or by node name with a cutoff,
 * which revokes every certificate of that node whose validity starts at or before the cutoff. A certificate signed
 * for the node later is not revoked, so a node can be re-admitted with a new certificate. A list speaks only for its
 * own CA: it revokes nothing signed by another CA, even for a node of the same name.
 *
 * <p>{@link #parse} checks structure only; {@link TrustAnchors#verifyRevocation} also checks the signature under the
 * trusted CA the list names. Immutable; equal when the encoded bytes are equal.
 */
public final class RevocationList {

    private final byte[] encoded;
    private final TrustCodec.Envelope envelope;
    private final TrustBodies.RevocationFields fields;
    private final Set<Fingerprint> certificates;

    private RevocationList(byte[] encoded, TrustCodec.Envelope envelope, TrustBodies.RevocationFields fields) {
        this.encoded = encoded;
        this.envelope = envelope;
        this.fields = fields;
        this.certificates = Collections.unmodifiableSet(new LinkedHashSet<>(fields.certificates()));
    }

    /**
     * Decodes a revocation list: size, canonical form, kind and every entry. The signature is not checked.
     *
     * @throws InvalidCertificateException MALFORMED or WRONG_KIND, naming the list's fingerprint
     */
    public static RevocationList parse(byte[] encoded) {
        byte[] copy = encoded.clone();
        TrustCodec.Envelope env = TrustCodec.decodeEnvelope(copy, TrustKind.REVOCATION);
        TrustBodies.RevocationFields fields = TrustBodies.decodeRevocation(env.body(),
                TrustKind.REVOCATION.label() + " " + env.fingerprint());
        return new RevocationList(copy, env, fields);
    }

    /**
     * Signs a revocation list. Entries are written in a fixed order (fingerprints by their bytes, nodes by name),
     * so the same content always gives the same bytes.
     *
     * @param nodes node name to cutoff: the node's certificates valid from this instant or earlier are revoked
     * @throws ConfigurationException if {@code caKey} is not the key of {@code ca}, a node name is invalid, or the
     *     list would exceed 65536 entries or 1 MiB
     */
    public static RevocationList sign(PrivKey caKey, CaCertificate ca, long sequence, long issuedAtMillis,
            Collection<Fingerprint> certs, Map<String, Long> nodes) {
        CaCertificate.requireEd25519(caKey);
        if (!caKey.publicKey().equals(ca.publicKey())) {
            throw new ConfigurationException("cannot sign a revocation list: the key given is not the key of CA '"
                    + ca.name() + "' (" + ca.fingerprint() + ")");
        }
        int entries = new TreeSet<>(certs).size() + nodes.size();
        if (entries > TrustFields.MAX_REVOKED_ENTRIES) {
            throw new ConfigurationException("cannot sign a revocation list of " + entries + " entries, more than the"
                    + " limit of " + TrustFields.MAX_REVOKED_ENTRIES + "; start a new CA instead");
        }
        byte[] body = TrustBodies.encodeRevocation(new TrustBodies.RevocationFields(ca.fingerprint(), sequence,
                issuedAtMillis, new ArrayList<>(new TreeSet<>(certs)), new TreeMap<>(nodes)));
        byte[] encoded = TrustCodec.encodeEnvelope(TrustKind.REVOCATION, body,
                caKey.sign(TrustCodec.signedPayload(TrustKind.REVOCATION, body)));
        try {
            return parse(encoded);
        } catch (InvalidCertificateException e) {
            throw new ConfigurationException("cannot sign revocation list " + sequence + " of CA '" + ca.name()
                    + "': " + e.getMessage(), e);
        }
    }

    /**
     * The next list: this one's entries plus {@code certs} and {@code nodes}, numbered {@link #sequence()} + 1 and
     * signed. A node already listed keeps the later of its two cutoffs.
     *
     * @throws ConfigurationException if {@code ca} is not the CA of this list, or as {@link #sign}
     */
    public RevocationList with(PrivKey caKey, CaCertificate ca, long issuedAtMillis, Collection<Fingerprint> certs,
            Map<String, Long> nodes) {
        if (!ca.fingerprint().equals(caFingerprint())) {
            throw new ConfigurationException("revocation list " + sequence() + " belongs to CA " + caFingerprint()
                    + ", not to CA '" + ca.name() + "' (" + ca.fingerprint() + ")");
        }
        Set<Fingerprint> allCerts = new TreeSet<>(certificates);
        allCerts.addAll(certs);
        Map<String, Long> allNodes = new TreeMap<>(nodes());
        nodes.forEach((name, before) -> allNodes.merge(name, before, Math::max));
        return sign(caKey, ca, Math.addExact(sequence(), 1), issuedAtMillis, allCerts, allNodes);
    }

    /**
     * Whether this list revokes {@code c}: {@code c} is of this list's CA, and its fingerprint is listed or its node
     * is listed with a cutoff at or after {@code c}'s start of validity.
     */
    public boolean revokes(NodeCertificate c) {
        if (!c.caFingerprint().equals(caFingerprint())) {
            return false;
        }
        if (certificates.contains(c.fingerprint())) {
            return true;
        }
        Long cutoff = fields.nodes().get(c.nodeName());
        return cutoff != null && c.notBeforeMillis() <= cutoff;
    }

    /** Whether this list names {@code ca} as its CA and its signature verifies under the CA's key. */
    public boolean signatureValidUnder(CaCertificate ca) {
        return ca.fingerprint().equals(caFingerprint())
                && ca.signed(TrustKind.REVOCATION, envelope.body(), envelope.signature());
    }

    public Fingerprint caFingerprint() {
        return fields.caFingerprint();
    }

    public long sequence() {
        return fields.sequence();
    }

    public long issuedAtMillis() {
        return fields.issuedAtMillis();
    }

    /** Fingerprints of the revoked certificates, in the list's order. */
    public Set<Fingerprint> certificates() {
        return certificates;
    }

    /** Revoked node names, each with its cutoff in unix milliseconds, in the list's order. */
    public Map<String, Long> nodes() {
        return fields.nodes();
    }

    /** The SHA-256 of {@link #encoded()}. */
    public Fingerprint fingerprint() {
        return envelope.fingerprint();
    }

    /** A copy of the encoded list: the file and wire content. */
    public byte[] encoded() {
        return encoded.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RevocationList other && Arrays.equals(encoded, other.encoded);
    }

    @Override
    public int hashCode() {
        return envelope.fingerprint().hashCode();
    }

    @Override
    public String toString() {
        return "revocation list " + sequence() + " of CA " + caFingerprint() + " issued "
                + TrustFields.iso(issuedAtMillis()) + ": " + certificates.size() + " certificates, "
                + fields.nodes().size() + " nodes";
    }
}
