package dev.edgelink.discovery;

/** Why a node record was refused. Each one is logged once, with the record's node and peer. */
public enum RejectReason {
    /** Not a well-formed envelope or record: bad protobuf, bad key, bad field (CIDR, address, name), too large. */
    MALFORMED,
    /** The signature does not verify under the envelope's public key. */
    BAD_SIGNATURE,
    /** The record names a peer id other than the one of the key that signed it. */
    PEER_ID_MISMATCH,
    /** The record's expiry has passed. */
    EXPIRED,
    /** The record claims to live longer than the store allows (see {@link StoreLimits#maxRecordLifetimeMillis}). */
    LIFETIME_TOO_LONG,
    /** A pod CIDR overlaps one of another live node. The first record to arrive keeps it. */
    POD_CIDR_OVERLAP,
    /** Another live node (another peer id) already uses this node name. */
    NODE_NAME_TAKEN,
    /** The store holds its maximum number of records. */
    CAPACITY,
    /** Issued later than now plus the allowed clock skew. */
    FROM_THE_FUTURE,
    /** The cluster has a CA and the record carries no certificate. */
    NO_CERTIFICATE,
    /** The certificate does not verify: unknown CA, bad signature, not yet or no longer valid. */
    CERTIFICATE_INVALID,
    /** The record says something its certificate does not grant (name, peer id, pod CIDRs, site, relay role). */
    CERTIFICATE_MISMATCH,
    /** The certificate is on the CA's revocation list. */
    REVOKED,
    /**
     * Two valid certificates claim the same node name or overlapping pod CIDRs (a CA mistake): both are refused
     * until the CA revokes one, whichever arrived first.
     */
    DISPUTED
}
