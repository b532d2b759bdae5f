package dev.edgelink.dataplane.netlink;

/**
 * This kernel cannot do what we asked (EOPNOTSUPP): a device type whose module is absent (ipip, gre, geneve, dummy
 * on our lab kernel) or a feature that was not built in. Not a failure of the agent: the path selector catches it
 * and falls back to the next path down, logging {@link #getMessage()} once.
 */
public class KernelFeatureMissingException extends NetlinkException {
    private static final long serialVersionUID = 1L;

    public KernelFeatureMissingException(int errno, String operation, String kernelMessage) {
        super(errno, operation, kernelMessage);
    }

    /**
     * Re-labels a kernel refusal with the feature's name and what the caller does next, e.g.
     * {@code "kernel has no ipip support (EOPNOTSUPP creating edgelink.ipip); falling back"}.
     */
    public KernelFeatureMissingException(NetlinkException cause, String feature, String objectName) {
        super(cause.errno(), cause.operation(), cause.kernelMessage(),
                "kernel has no " + feature + " support (" + errnoName(cause.errno()) + " creating " + objectName
                        + "); falling back");
        initCause(cause);
    }
}
