package dev.edgelink.discovery.trust;

/** Why a certificate or revocation list was refused; {@link InvalidCertificateException#problem()} carries it. */
public enum TrustProblem {
    /** Not a well-formed, canonical envelope or body: bad protobuf, bad field, over a size limit. */
    MALFORMED,
    /** A well-formed envelope of another kind than expected (a revocation list where a node certificate belongs). */
    WRONG_KIND,
    /** The signature does not verify under the CA's key. */
    BAD_SIGNATURE,
    /** Issued by a CA that is not one of the trusted anchors. */
    UNKNOWN_CA,
    /** The certificate, or its CA, is valid only from a later instant. */
    NOT_YET_VALID,
    /** The certificate, or its CA, is no longer valid. */
    EXPIRED,
    /** A revocation list of its CA revokes it. */
    REVOKED,
    /** The certificate does not cover what it is presented for (another node name, peer, pod CIDR or CA). */
    MISMATCH
}
