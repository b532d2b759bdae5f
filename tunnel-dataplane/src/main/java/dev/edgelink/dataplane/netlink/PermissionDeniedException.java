package dev.edgelink.dataplane.netlink;

/**
 * EPERM or EACCES: this process lacks CAP_NET_ADMIN in the target network namespace. Run the agent as
 * root or grant the capability.
 */
public class PermissionDeniedException extends NetlinkException {
    private static final long serialVersionUID = 1L;

    public PermissionDeniedException(int errno, String operation, String kernelMessage) {
        super(errno, operation, kernelMessage);
    }
}
