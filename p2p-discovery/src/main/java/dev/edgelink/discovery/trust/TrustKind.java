package dev.edgelink.discovery.trust;

import dev.edgelink.discovery.internal.trust.TrustCodec;

/** What a trust file holds: the three kinds of signed object the cluster CA deals in. */
public enum TrustKind {
    /** A self-signed CA certificate ({@link CaCertificate}). */
    CA("CA certificate"),
    /** A node certificate signed by a CA ({@link NodeCertificate}). */
    NODE("node certificate"),
    /** A revocation list signed by a CA ({@link RevocationList}). */
    REVOCATION("revocation list");

    private final String label;

    TrustKind(String label) {
        this.label = label;
    }

    /**
     * The kind of {@code encoded}, read from its envelope; nothing else is checked (that is what the decoders of
     * each kind do).
     *
     * @throws InvalidCertificateException (MALFORMED) if it is not a canonical envelope of a known kind
     */
    public static TrustKind of(byte[] encoded) {
        return TrustCodec.decodeEnvelope(encoded, null).kind();
    }

    /** How messages name it: "CA certificate", "node certificate", "revocation list". */
    public String label() {
        return label;
    }
}
