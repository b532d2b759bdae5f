package dev.edgelink.dataplane.internal.netlink;

import java.nio.ByteBuffer;

/** A datagram transport to the kernel: the seam between {@link NetlinkChannel} and a real socket. */
interface Datagrams extends AutoCloseable {
    void send(byte[] message);

    /** Blocks for the next datagram (the whole of it, or an exception if it did not fit). */
    ByteBuffer receive();

    @Override
    void close();
}
