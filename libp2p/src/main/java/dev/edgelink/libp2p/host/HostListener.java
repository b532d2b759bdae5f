package dev.edgelink.libp2p.host;

/** Observes what a host does; used by diagnostics (the CLI prints these) and by services. */
public interface HostListener {

    default void connectionOpened(Connection connection) {
    }

    default void connectionClosed(Connection connection) {
    }

    /** A stream's protocol was negotiated, in either direction. */
    default void streamOpened(Stream stream) {
    }
}
