package dev.edgelink.discovery.trust;

import dev.edgelink.discovery.internal.trust.TrustBodies;
import dev.edgelink.discovery.internal.trust.TrustCodec;
import dev.edgelink.discovery.internal.trust.TrustFields;
import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.net.IpPrefix;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A node's certificate, signed by the cluster CA: it binds a node name to a libp2p {@link PeerId}, the node's pod
 * CIDRs, an optional site and the relay role, for a validity period, under the CA named by
 * {@link #caFingerprint()}. A member may claim in its node record only what its certificate grants.
 *
 * <p>{@link #parse} checks the structure and every field but not the signature: which CA to check it under, and
 * whether that CA is trusted, is {@link TrustAnchors}'s decision. Immutable; equal when the encoded bytes are equal.
 */
public final class NodeCertificate {

    private final byte[] encoded;
    private final TrustCodec.Envelope envelope;
    private final TrustBodies.NodeFields fields;

    private NodeCertificate(byte[] encoded, TrustCodec.Envelope envelope, TrustBodies.NodeFields fields) {
        this.encoded = encoded;
        this.envelope = envelope;
        this.fields = fields;
    }

    /**
     * Decodes a node certificate: size, canonical form, kind and every field. The signature is not checked.
     *
     * @throws InvalidCertificateException MALFORMED or WRONG_KIND, naming the fingerprint and, once read, the node
     */
    public static NodeCertificate parse(byte[] encoded) {
        return parse(encoded, null);
    }

    /**
     * As {@link #parse(byte[])}, but when the certificate's peer id is {@code known} (the same bytes) that instance is
     * taken instead of decoding the peer id again: decoding one validates the key it inlines, an Ed25519 point
     * decompression. A node record's certificate names the record's peer, which the record's decoder already holds.
     *
     * @param known a peer id already decoded, or null
     */
    public static NodeCertificate parse(byte[] encoded, PeerId known) {
        byte[] copy = encoded.clone();
        TrustCodec.Envelope env = TrustCodec.decodeEnvelope(copy, TrustKind.NODE);
        TrustBodies.NodeFields fields = TrustBodies.decodeNode(env.body(),
                TrustKind.NODE.label() + " " + env.fingerprint(), known);
        return new NodeCertificate(copy, env, fields);
    }

    /**
     * Signs a certificate for a node with the CA's key.
     *
     * @param site the node's site label, "" for none
     * @throws ConfigurationException if {@code caKey} is not the key of {@code ca}, the validity is empty or not
     *     within the CA's, or a field is invalid (node name, pod CIDRs, site)
     */
    public static NodeCertificate sign(PrivKey caKey, CaCertificate ca, String nodeName, PeerId peer,
            List<IpPrefix> podCidrs, String site, boolean relay, long notBeforeMillis, long notAfterMillis) {
        CaCertificate.requireEd25519(caKey);
        if (!caKey.publicKey().equals(ca.publicKey())) {
            throw new ConfigurationException("cannot sign a certificate for node '" + nodeName + "': the key given is"
                    + " not the key of CA '" + ca.name() + "' (" + ca.fingerprint() + ")");
        }
        if (notBeforeMillis < ca.notBeforeMillis() || notAfterMillis > ca.notAfterMillis()) {
            throw new ConfigurationException("cannot sign a certificate for node '" + nodeName + "' valid "
                    + TrustFields.iso(notBeforeMillis) + " to " + TrustFields.iso(notAfterMillis)
                    + ": it must lie within the validity of CA '" + ca.name() + "', "
                    + TrustFields.iso(ca.notBeforeMillis()) + " to " + TrustFields.iso(ca.notAfterMillis()));
        }
        byte[] body = TrustBodies.encodeNode(new TrustBodies.NodeFields(Objects.requireNonNull(nodeName, "nodeName"),
                peer, List.copyOf(podCidrs), Objects.requireNonNull(site, "site"), relay, notBeforeMillis,
                notAfterMillis, ca.fingerprint()));
        byte[] signature = caKey.sign(TrustCodec.signedPayload(TrustKind.NODE, body));
        try {
            return parse(TrustCodec.encodeEnvelope(TrustKind.NODE, body, signature));
        } catch (InvalidCertificateException e) {
            throw new ConfigurationException("cannot sign a certificate for node '" + nodeName + "': "
                    + e.getMessage(), e);
        }
    }

    /**
     * Whether this certificate names {@code ca} as its CA and its signature verifies under the CA's key. Costs an
     * Ed25519 verification every call; {@link TrustAnchors#verify} caches the result.
     */
    public boolean signatureValidUnder(CaCertificate ca) {
        return ca.fingerprint().equals(fields.caFingerprint())
                && ca.signed(TrustKind.NODE, envelope.body(), envelope.signature());
    }

    public String nodeName() {
        return fields.nodeName();
    }

    public PeerId peerId() {
        return fields.peerId();
    }

    /** The pod CIDRs granted, in the certificate's order (1 to 8, none overlapping). */
    public List<IpPrefix> podCidrs() {
        return fields.podCidrs();
    }

    /** The node's site label, "" if none. */
    public String site() {
        return fields.site();
    }

    /** Whether the node may serve as a circuit relay for members. */
    public boolean relay() {
        return fields.relay();
    }

    public long notBeforeMillis() {
        return fields.notBeforeMillis();
    }

    public long notAfterMillis() {
        return fields.notAfterMillis();
    }

    /** The fingerprint of the certificate of the CA that signed (or claims to have signed) this one. */
    public Fingerprint caFingerprint() {
        return fields.caFingerprint();
    }

    /** The SHA-256 of {@link #encoded()}. */
    public Fingerprint fingerprint() {
        return envelope.fingerprint();
    }

    /** A copy of the encoded certificate: the file and wire content. */
    public byte[] encoded() {
        return encoded.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NodeCertificate other && Arrays.equals(encoded, other.encoded);
    }

    @Override
    public int hashCode() {
        return envelope.fingerprint().hashCode();
    }

    @Override
    public String toString() {
        return "node certificate " + fingerprint() + " for '" + nodeName() + "' peer " + peerId() + " " + podCidrs()
                + " valid " + TrustFields.iso(notBeforeMillis()) + " to " + TrustFields.iso(notAfterMillis())
                + " under CA " + caFingerprint();
    }
}
