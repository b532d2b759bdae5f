package dev.edgelink.discovery.trust;

import dev.edgelink.discovery.internal.trust.TrustBodies;
import dev.edgelink.discovery.internal.trust.TrustCodec;
import dev.edgelink.discovery.internal.trust.TrustFields;
import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.crypto.KeyType;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.crypto.PubKey;
import java.util.Arrays;

/**
 * The cluster CA's self-signed certificate: its name, its Ed25519 public key and its validity. Nodes trust a CA by
 * holding its certificate (see {@link TrustAnchors}); node certificates and revocation lists name it by its
 * {@link #fingerprint()}, the SHA-256 of these exact bytes. The file and wire form is described in
 * {@link dev.edgelink.discovery.internal.trust.TrustCodec}.
 *
 * <p>Holding an instance means the self-signature verified: only {@link #decode} and {@link #create} make them.
 * Immutable; equal when the encoded bytes are equal.
 */
public final class CaCertificate {

    private final byte[] encoded;
    private final Fingerprint fingerprint;
    private final TrustBodies.CaFields fields;

    private CaCertificate(byte[] encoded, Fingerprint fingerprint, TrustBodies.CaFields fields) {
        this.encoded = encoded;
        this.fingerprint = fingerprint;
        this.fields = fields;
    }

    /**
     * Decodes a CA certificate and verifies its self-signature. Says nothing about time: see
     * {@link TrustAnchors#verify}.
     *
     * @throws InvalidCertificateException MALFORMED, WRONG_KIND or BAD_SIGNATURE, naming the fingerprint
     */
    public static CaCertificate decode(byte[] encoded) {
        TrustCodec.Envelope env = TrustCodec.decodeEnvelope(encoded, TrustKind.CA);
        TrustBodies.CaFields fields = TrustBodies.decodeCa(env.body(), TrustKind.CA.label() + " " + env.fingerprint());
        if (!fields.publicKey().verify(TrustCodec.signedPayload(TrustKind.CA, env.body()), env.signature())) {
            throw new InvalidCertificateException(TrustProblem.BAD_SIGNATURE, "CA certificate " + env.fingerprint()
                    + " ('" + fields.name() + "'): the self-signature does not verify under its own key");
        }
        return new CaCertificate(encoded.clone(), env.fingerprint(), fields);
    }

    /**
     * Creates a self-signed CA certificate for {@code caKey}.
     *
     * @throws ConfigurationException if the key is not Ed25519, the name is not 1 to 64 printable ASCII characters,
     *     or the validity is empty
     */
    public static CaCertificate create(PrivKey caKey, String name, long notBeforeMillis, long notAfterMillis) {
        requireEd25519(caKey);
        byte[] body = TrustBodies.encodeCa(new TrustBodies.CaFields(name, caKey.publicKey(), notBeforeMillis,
                notAfterMillis));
        byte[] signature = caKey.sign(TrustCodec.signedPayload(TrustKind.CA, body));
        try {
            return decode(TrustCodec.encodeEnvelope(TrustKind.CA, body, signature));
        } catch (InvalidCertificateException e) {
            throw new ConfigurationException("cannot create CA certificate '" + name + "': " + e.getMessage(), e);
        }
    }

    static void requireEd25519(PrivKey key) {
        if (key.type() != KeyType.ED25519) {
            throw new ConfigurationException("the CA key must be an Ed25519 key, not " + key.type());
        }
    }

    /** Whether {@code signature} over {@code body} of {@code kind} was made by this CA's key. */
    boolean signed(TrustKind kind, byte[] body, byte[] signature) {
        return fields.publicKey().verify(TrustCodec.signedPayload(kind, body), signature);
    }

    public String name() {
        return fields.name();
    }

    public PubKey publicKey() {
        return fields.publicKey();
    }

    public long notBeforeMillis() {
        return fields.notBeforeMillis();
    }

    public long notAfterMillis() {
        return fields.notAfterMillis();
    }

    public Fingerprint fingerprint() {
        return fingerprint;
    }

    /** A copy of the encoded certificate: the file content. */
    public byte[] encoded() {
        return encoded.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CaCertificate other && Arrays.equals(encoded, other.encoded);
    }

    @Override
    public int hashCode() {
        return fingerprint.hashCode();
    }

    @Override
    public String toString() {
        return "CA '" + name() + "' " + fingerprint + " valid " + TrustFields.iso(notBeforeMillis()) + " to "
                + TrustFields.iso(notAfterMillis());
    }
}
