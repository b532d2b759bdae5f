package dev.edgelink.dataplane.netlink;

/**
 * EEXIST: the object we tried to create is already there. Idempotent callers read the existing one
 * and compare it.
 */
public class ObjectExistsException extends NetlinkException {
    private static final long serialVersionUID = 1L;

    public ObjectExistsException(int errno, String operation, String kernelMessage) {
        super(errno, operation, kernelMessage);
    }
}
