package dev.edgelink.dataplane.internal.netlink;

import dev.edgelink.dataplane.netlink.NetlinkTransportException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;

/**
 * A NETLINK_ROUTE socket: {@code socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)} bound with port id 0
 * (the kernel picks one), with extended acks on and acks capped to the request's header. The socket belongs to the
 * network namespace of the thread that created it, for its whole life.
 */
final class NetlinkSocket implements Datagrams {
    /** Largest datagram we accept; the kernel's dump messages are at most 32 KiB. */
    static final int RECEIVE_BUFFER_BYTES = 64 * 1024;
    /** How long to wait for the kernel's answer before giving up; the kernel answers in microseconds. */
    static final Duration RECEIVE_TIMEOUT = Duration.ofSeconds(10);
    private static final int SOCKADDR_NL_SIZE = 12;

    private final LibC libc;
    private final byte[] receiveBuffer = new byte[RECEIVE_BUFFER_BYTES];
    private int fd;

    private NetlinkSocket(LibC libc, int fd) {
        this.libc = libc;
        this.fd = fd;
    }

    /** Opens a socket in the calling thread's network namespace. */
    static NetlinkSocket open() {
        LibC libc = LibC.get();
        int fd = libc.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, LibC.NETLINK_ROUTE);
        if (fd < 0) {
            throw new NetlinkTransportException("socket(AF_NETLINK, NETLINK_ROUTE) failed: "
                    + LibC.describe(LibC.errno()));
        }
        NetlinkSocket s = new NetlinkSocket(libc, fd);
        try {
            s.check(libc.bind(fd, sockaddrNl(), SOCKADDR_NL_SIZE), "bind");
            s.setIntOption(LibC.SOL_NETLINK, LibC.NETLINK_EXT_ACK, 1, "NETLINK_EXT_ACK");
            s.setIntOption(LibC.SOL_NETLINK, LibC.NETLINK_CAP_ACK, 1, "NETLINK_CAP_ACK");
            byte[] timeval = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder())
                    .putLong(RECEIVE_TIMEOUT.toSeconds()).putLong(0).array();
            s.check(libc.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, timeval, timeval.length), "SO_RCVTIMEO");
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    @Override
    public synchronized void send(byte[] message) {
        ensureOpen();
        long n;
        do {
            n = libc.sendto(fd, message, message.length, 0, sockaddrNl(), SOCKADDR_NL_SIZE);
        } while (n < 0 && LibC.errno() == LibC.EINTR);
        if (n < 0) {
            throw new NetlinkTransportException("netlink sendto failed: " + LibC.describe(LibC.errno()));
        }
        if (n != message.length) {
            throw new NetlinkTransportException("netlink sendto wrote " + n + " of " + message.length + " bytes");
        }
    }

    @Override
    public synchronized ByteBuffer receive() {
        ensureOpen();
        long n;
        int errno = 0;
        do {
            n = libc.recv(fd, receiveBuffer, receiveBuffer.length, LibC.MSG_TRUNC);
            errno = n < 0 ? LibC.errno() : 0;
        } while (n < 0 && errno == LibC.EINTR);
        if (n < 0 && errno == LibC.EAGAIN) {
            throw new NetlinkTransportException("no answer from the kernel within " + RECEIVE_TIMEOUT);
        }
        if (n < 0) {
            throw new NetlinkTransportException("netlink recv failed: " + LibC.describe(errno));
        }
        if (n > receiveBuffer.length) {
            throw new NetlinkTransportException("netlink datagram of " + n + " bytes exceeds the "
                    + receiveBuffer.length + "-byte receive buffer");
        }
        return ByteBuffer.wrap(receiveBuffer.clone(), 0, (int) n).slice().order(ByteOrder.nativeOrder());
    }

    @Override
    public synchronized void close() {
        if (fd >= 0) {
            libc.close(fd);
            fd = -1;
        }
    }

    private void ensureOpen() {
        if (fd < 0) {
            throw new NetlinkTransportException("netlink socket is closed");
        }
    }

    private void setIntOption(int level, int option, int value, String what) {
        byte[] v = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array();
        check(libc.setsockopt(fd, level, option, v, v.length), what);
    }

    private void check(int rc, String what) {
        if (rc < 0) {
            throw new NetlinkTransportException("netlink socket " + what + " failed: " + LibC.describe(LibC.errno()));
        }
    }

    /** {@code struct sockaddr_nl} for the kernel: family AF_NETLINK, port id 0, no multicast groups. */
    private static byte[] sockaddrNl() {
        return ByteBuffer.allocate(SOCKADDR_NL_SIZE).order(ByteOrder.nativeOrder())
                .putShort((short) LibC.AF_NETLINK).putShort((short) 0).putInt(0).putInt(0).array();
    }
}
