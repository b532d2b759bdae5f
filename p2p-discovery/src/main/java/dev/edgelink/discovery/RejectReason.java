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
    CAPACITY
}
