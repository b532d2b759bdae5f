package dev.edgelink.dataplane.netlink;

/**
 * ENOENT, ENODEV or ESRCH: the object, or one it refers to (a link index, a table), is not there.
 */
public class NoSuchObjectException extends NetlinkException {
    private static final long serialVersionUID = 1L;

    public NoSuchObjectException(int errno, String operation, String kernelMessage) {
        super(errno, operation, kernelMessage);
    }
}
