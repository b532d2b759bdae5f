package dev.edgelink.discovery;

/** Why a member left the view. */
public enum DepartureReason {
    /** It announced its departure with a record marked {@code leaving}. */
    LEFT,
    /** Its record expired without being refreshed (the node stopped, or we lost touch with everyone who knew). */
    EXPIRED,
    /** Its certificate was revoked by the CA, or turned out to overlap another node's (a dispute). */
    REVOKED
}
