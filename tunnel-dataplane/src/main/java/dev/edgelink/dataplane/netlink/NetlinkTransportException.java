package dev.edgelink.dataplane.netlink;

import dev.edgelink.dataplane.DataplaneException;

/**
 * The netlink socket itself failed: socket(2), bind(2), send or receive returned an error, the kernel did not
 * answer in time, or entering a network namespace to open the socket failed.
 */
public class NetlinkTransportException extends DataplaneException {
    private static final long serialVersionUID = 1L;

    public NetlinkTransportException(String message) {
        super(message);
    }

    public NetlinkTransportException(String message, Throwable cause) {
        super(message, cause);
    }
}
