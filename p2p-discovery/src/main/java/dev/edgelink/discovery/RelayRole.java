package dev.edgelink.discovery;

/** Whether a node serves as a circuit relay for members. */
public enum RelayRole {
    NONE,
    RELAY
}
