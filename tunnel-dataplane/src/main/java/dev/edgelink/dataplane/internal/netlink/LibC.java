package dev.edgelink.dataplane.internal.netlink;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/** The few libc calls the netlink socket and namespace entry need, bound with jnr-ffi. errno is saved per call. */
public interface LibC {
    int AF_NETLINK = 16;
    int SOCK_RAW = 3;
    int SOCK_CLOEXEC = 0x80000;
    int NETLINK_ROUTE = 0;
    int SOL_SOCKET = 1;
    int SO_RCVTIMEO = 20;
    int SOL_NETLINK = 270;
    int NETLINK_CAP_ACK = 10;
    int NETLINK_EXT_ACK = 11;
    int MSG_TRUNC = 0x20;
    int O_RDONLY = 0;
    int O_CLOEXEC = 0x80000;
    int CLONE_NEWNET = 0x40000000;
    int EINTR = 4;
    int EAGAIN = 11;

    /** The process-wide binding, loaded on first use. */
    static LibC get() {
        return Holder.INSTANCE;
    }

    @SaveError
    int socket(int domain, int type, int protocol);

    @SaveError
    int bind(int fd, @In byte[] sockaddr, int addrlen);

    @SaveError
    int setsockopt(int fd, int level, int optname, @In byte[] optval, int optlen);

    @SaveError
    @ssize_t
    long sendto(int fd, @In byte[] buf, @size_t long len, int flags, @In byte[] sockaddr, int addrlen);

    @SaveError
    @ssize_t
    long recv(int fd, @Out byte[] buf, @size_t long len, int flags);

    @SaveError
    int close(int fd);

    @SaveError
    int open(String path, int flags);

    @SaveError
    int setns(int fd, int nstype);

    /** Lazy holder so that classes merely referring to LibC load without a native library. */
    final class Holder {
        static final LibC INSTANCE = LibraryLoader.create(LibC.class).load("c");
        static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(INSTANCE);

        private Holder() {
        }
    }

    /** errno of the last call on this thread that carried {@link SaveError}. */
    static int errno() {
        return Holder.RUNTIME.getLastError();
    }

    /** strerror-like text for messages: the symbolic name where known. */
    static String describe(int errno) {
        return dev.edgelink.dataplane.netlink.NetlinkException.errnoName(errno);
    }
}
