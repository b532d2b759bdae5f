package dev.edgelink.dataplane.tun;

import dev.edgelink.dataplane.DataplaneException;

/**
 * A TUN device could not be made: {@code /dev/net/tun} is missing, we lack {@code CAP_NET_ADMIN}, the name is
 * taken by another kind of device, or the kernel refused an option. The message says which and what to do; the
 * userspace paths are then unavailable and the agent keeps the kernel ones.
 */
public final class TunUnavailableException extends DataplaneException {
    private static final long serialVersionUID = 1L;

    private final int errno;

    public TunUnavailableException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    /** The errno of the refused call, 0 if none. */
    public int errno() {
        return errno;
    }
}
