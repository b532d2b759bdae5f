package dev.edgelink.dataplane.internal.tun;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc calls a TUN device needs, bound with jnr-ffi. {@code read}/{@code write} take raw addresses (of direct
 * buffers) so that the packet path copies nothing and allocates nothing per call. errno is saved per call.
 */
public interface TunLibC {
    int O_RDWR = 2;
    int O_NONBLOCK = 0x800;
    int O_CLOEXEC = 0x80000;
    int EINTR = 4;
    int EAGAIN = 11;
    int EPERM = 1;
    int ENOENT = 2;
    int EACCES = 13;
    int ENODEV = 19;
    int ENXIO = 6;
    int EINVAL = 22;
    int EBUSY = 16;
    int ENOTTY = 25;
    int EFAULT = 14;
    int EMSGSIZE = 90;
    short POLLIN = 1;
    /** {@code _IOW('T', 202, int)}. */
    long TUNSETIFF = 0x400454caL;
    /** {@code _IOW('T', 208, unsigned int)}. */
    long TUNSETOFFLOAD = 0x400454d0L;
    /** {@code _IOW('T', 216, int)}. */
    long TUNSETVNETHDRSZ = 0x400454d8L;
    short IFF_TUN = 0x0001;
    short IFF_NO_PI = 0x1000;
    short IFF_VNET_HDR = 0x4000;
    int TUN_F_CSUM = 0x01;
    int TUN_F_TSO4 = 0x02;
    int TUN_F_TSO6 = 0x04;
    /** {@code struct ifreq}: 16 bytes of name, then a union whose first member here is the flags short. */
    int IFREQ_SIZE = 40;

    static TunLibC get() {
        return Holder.INSTANCE;
    }

    static int errno() {
        return Holder.RUNTIME.getLastError();
    }

    @SaveError
    int open(String path, int flags);

    @SaveError
    int ioctl(int fd, long request, @In @Out byte[] arg);

    @SaveError
    int ioctl(int fd, long request, long arg);

    @SaveError
    @ssize_t
    long read(int fd, long address, @size_t long count);

    @SaveError
    @ssize_t
    long write(int fd, long address, @size_t long count);

    @SaveError
    int close(int fd);

    /** {@code fds} is an array of {@code struct pollfd} (int fd, short events, short revents), 8 bytes each. */
    @SaveError
    int poll(@In @Out byte[] fds, long nfds, int timeoutMillis);

    @SaveError
    int pipe2(@Out int[] fds, int flags);

    /** Lazy holder so that classes merely referring to TunLibC load without a native library. */
    final class Holder {
        static final TunLibC INSTANCE = LibraryLoader.create(TunLibC.class).load("c");
        static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(INSTANCE);

        private Holder() {
        }
    }
}
