package dev.edgelink.relay.autonat;

/** What AutoNAT concluded about us. */
public enum NatStatus {
    /** Enough peers dialed us back. */
    PUBLIC,
    /** Enough peers tried and failed. */
    PRIVATE,
    /** Too few answers, or they disagree. */
    UNKNOWN
}
