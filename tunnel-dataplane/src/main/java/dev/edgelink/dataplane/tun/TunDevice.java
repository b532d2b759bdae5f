package dev.edgelink.dataplane.tun;

import dev.edgelink.dataplane.internal.netlink.NetworkNamespaces;
import dev.edgelink.dataplane.internal.tun.TunLibC;
import dev.edgelink.dataplane.netlink.LinkSpec;
import dev.edgelink.dataplane.netlink.NetlinkException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A layer-3 TUN device ({@code IFF_TUN | IFF_NO_PI}): every read returns one IP packet the kernel routed into the
 * device, every write hands one IP packet to the kernel as if it had arrived on it. The device is not persistent:
 * it disappears with the file descriptor, so a crashed agent leaves nothing behind.
 *
 * <p>The descriptor is non-blocking; {@link #awaitReadable} polls it together with a wake-up pipe so that
 * {@link #close()} ends a waiting reader at once. Reads and writes take the address of direct memory, so the
 * packet path neither copies through the heap nor allocates.
 *
 * <p>With {@code vnetHeader} the device is opened with {@code IFF_VNET_HDR}: each packet is preceded by a
 * {@code struct virtio_net_hdr} (10 bytes) and, once offloads are on ({@link #enableOffloads}), the kernel hands us
 * TCP segments of up to 64 KiB whole and segments them itself when we write such a packet back.
 *
 * <p>Address, MTU and up are set over rtnetlink by the caller, like every other device.
 */
public final class TunDevice implements AutoCloseable {
    /** The kernel's TUN/TAP clone device. */
    public static final Path CLONE_DEVICE = Path.of("/dev/net/tun");
    /** {@code sizeof(struct virtio_net_hdr)}. */
    public static final int VNET_HDR_LEN = 10;

    private final String name;
    private final int fd;
    private final int wakeRead;
    private final int wakeWrite;
    private final boolean vnetHeader;
    private volatile boolean closed;
    private boolean released;

    private TunDevice(String name, int fd, int[] wake, boolean vnetHeader) {
        this.name = name;
        this.fd = fd;
        this.wakeRead = wake[0];
        this.wakeWrite = wake[1];
        this.vnetHeader = vnetHeader;
    }

    /** Creates (or attaches to) the TUN device {@code name} in the caller's network namespace. */
    public static TunDevice open(String name, boolean vnetHeader) {
        return open(CLONE_DEVICE, name, vnetHeader);
    }

    /** As {@link #open(String, boolean)} through another clone device (for systems that keep it elsewhere). */
    public static TunDevice open(Path cloneDevice, String name, boolean vnetHeader) {
        Objects.requireNonNull(name, "name");
        new LinkSpec.Dummy(name); // checks the name the way every link name is checked
        if (!Files.exists(cloneDevice)) {
            throw new TunUnavailableException(cloneDevice + " is missing: load the tun module (modprobe tun) or, in"
                    + " a container, pass the device in (--device /dev/net/tun)", TunLibC.ENOENT);
        }
        TunLibC libc = TunLibC.get();
        int fd = libc.open(cloneDevice.toString(), TunLibC.O_RDWR | TunLibC.O_NONBLOCK | TunLibC.O_CLOEXEC);
        if (fd < 0) {
            throw openFailed(cloneDevice, TunLibC.errno());
        }
        try {
            setIff(libc, fd, name, vnetHeader);
            int[] wake = new int[2];
            if (libc.pipe2(wake, TunLibC.O_CLOEXEC | TunLibC.O_NONBLOCK) != 0) {
                throw new TunUnavailableException("pipe2 failed: " + NetlinkException.errnoName(TunLibC.errno()),
                        TunLibC.errno());
            }
            return new TunDevice(name, fd, wake, vnetHeader);
        } catch (RuntimeException e) {
            libc.close(fd);
            throw e;
        }
    }

    /**
     * As {@link #open(String, boolean)}, inside the network namespace {@code namespace} ({@code /run/netns/NAME}):
     * the device is created there and stays there; the calling thread never changes namespace.
     */
    public static TunDevice openIn(Path namespace, String name, boolean vnetHeader) {
        return NetworkNamespaces.call(namespace, () -> open(name, vnetHeader));
    }

    private static TunUnavailableException openFailed(Path cloneDevice, int errno) {
        if (errno == TunLibC.EACCES || errno == TunLibC.EPERM) {
            return new TunUnavailableException("cannot open " + cloneDevice + " (" + NetlinkException.errnoName(errno)
                    + "): run as root or with CAP_NET_ADMIN and access to the device", errno);
        }
        if (errno == TunLibC.ENOENT || errno == TunLibC.ENODEV || errno == TunLibC.ENXIO) {
            return new TunUnavailableException("cannot open " + cloneDevice + " (" + NetlinkException.errnoName(errno)
                    + "): this kernel has no TUN support; load the tun module", errno);
        }
        return new TunUnavailableException("cannot open " + cloneDevice + ": " + NetlinkException.errnoName(errno),
                errno);
    }

    private static void setIff(TunLibC libc, int fd, String name, boolean vnetHeader) {
        byte[] ifr = new byte[TunLibC.IFREQ_SIZE];
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(n, 0, ifr, 0, n.length);
        short flags = (short) (TunLibC.IFF_TUN | TunLibC.IFF_NO_PI | (vnetHeader ? TunLibC.IFF_VNET_HDR : 0));
        ifr[16] = (byte) flags;
        ifr[17] = (byte) (flags >> 8);
        if (libc.ioctl(fd, TunLibC.TUNSETIFF, ifr) != 0) {
            int errno = TunLibC.errno();
            String why = errno == TunLibC.EPERM || errno == TunLibC.EACCES
                    ? "we lack CAP_NET_ADMIN in this network namespace"
                    : errno == TunLibC.ENOTTY ? "the clone device is not a TUN device"
                    : errno == TunLibC.EBUSY || errno == TunLibC.EINVAL
                    ? "a device of another kind or with other flags already holds the name" : "the kernel refused";
            throw new TunUnavailableException("cannot create TUN device " + name + " ("
                    + NetlinkException.errnoName(errno) + "): " + why, errno);
        }
    }

    /**
     * Asks the kernel for checksum and TSO offloads (needs {@code vnetHeader}): from then on it may hand us TCP
     * segments larger than the MTU. Returns false, changing nothing, when the kernel refuses; the caller then
     * carries MTU-sized packets as without offloads.
     */
    public boolean enableOffloads() {
        if (!vnetHeader) {
            return false;
        }
        TunLibC libc = TunLibC.get();
        if (libc.ioctl(fd, TunLibC.TUNSETOFFLOAD, TunLibC.TUN_F_CSUM | TunLibC.TUN_F_TSO4 | TunLibC.TUN_F_TSO6)
                != 0) {
            return false;
        }
        return true;
    }

    public String name() {
        return name;
    }

    /** True if every packet read or written is preceded by a {@code virtio_net_hdr}. */
    public boolean vnetHeader() {
        return vnetHeader;
    }

    /**
     * Reads one packet into {@code capacity} bytes of direct memory at {@code address}.
     *
     * @return its length, 0 when no packet is waiting, -1 when one packet was lost (e.g. larger than
     *     {@code capacity}) and reading can go on
     * @throws TunUnavailableException if the device is gone (EBADF, EIO, ENODEV...)
     */
    public int read(long address, int capacity) {
        long n = TunLibC.get().read(fd, address, capacity);
        if (n >= 0) {
            return (int) n;
        }
        int errno = TunLibC.errno();
        if (errno == TunLibC.EAGAIN || errno == TunLibC.EINTR) {
            return 0;
        }
        if (errno == TunLibC.EINVAL || errno == TunLibC.EFAULT || errno == TunLibC.EMSGSIZE) {
            return -1;
        }
        throw new TunUnavailableException("read from " + name + " failed: " + NetlinkException.errnoName(errno),
                errno);
    }

    /**
     * Hands one packet of {@code length} bytes at {@code address} to the kernel.
     *
     * @return false if the kernel refused it (a malformed packet, or the device's queue is full): one packet lost
     */
    public boolean write(long address, int length) {
        return TunLibC.get().write(fd, address, length) == length;
    }

    /**
     * Waits up to {@code timeoutMillis} for a packet to read.
     *
     * @return false on timeout or when the device is being closed
     */
    public boolean awaitReadable(int timeoutMillis) {
        byte[] fds = new byte[16];
        putPollFd(fds, 0, fd);
        putPollFd(fds, 8, wakeRead);
        int n = TunLibC.get().poll(fds, 2, timeoutMillis);
        return n > 0 && !closed && (fds[6] & TunLibC.POLLIN) != 0;
    }

    private static void putPollFd(byte[] fds, int offset, int fd) {
        fds[offset] = (byte) fd;
        fds[offset + 1] = (byte) (fd >> 8);
        fds[offset + 2] = (byte) (fd >> 16);
        fds[offset + 3] = (byte) (fd >> 24);
        fds[offset + 4] = TunLibC.POLLIN;
    }

    public boolean isClosed() {
        return closed;
    }

    /**
     * Makes a reader waiting in {@link #awaitReadable} return false at once, and every later wait too. The owner of
     * the reader calls this, waits for the reader to leave, then {@link #close()}s.
     */
    public synchronized void wakeup() {
        if (!closed) {
            closed = true;
            TunLibC.get().close(wakeWrite);
        }
    }

    /**
     * Closes the device; the kernel deletes it together with its addresses and routes. No read or write may be in
     * progress (a descriptor number is reused by the next open).
     */
    @Override
    public synchronized void close() {
        if (released) {
            return;
        }
        wakeup();
        released = true;
        TunLibC libc = TunLibC.get();
        libc.close(fd);
        libc.close(wakeRead);
    }
}
