package dev.edgelink.dataplane.netlink;

import dev.edgelink.dataplane.DataplaneException;

/**
 * The kernel answered a netlink request with an error. Carries the errno, the operation we tried (in words, e.g.
 * {@code "create link edgelink.vxlan (vxlan)"}) and the kernel's extended-ack text when it sent one.
 *
 * <p>The mapping from errno to subclass lives in {@link #of} and nowhere else.
 */
public class NetlinkException extends DataplaneException {
    private static final long serialVersionUID = 1L;

    /** What the errno means for a caller. */
    public enum Kind {
        /** EEXIST: the object is already there. */
        EXISTS,
        /** ENOENT, ENODEV, ESRCH: the object (or something it refers to) is not there. */
        NOT_FOUND,
        /** EPERM, EACCES: we lack CAP_NET_ADMIN in that namespace. */
        PERMISSION_DENIED,
        /** EOPNOTSUPP: this kernel has no support for what we asked (missing module or feature). */
        NOT_SUPPORTED,
        /** Anything else (EINVAL, EBUSY, ...): read the message. */
        OTHER
    }

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EACCES = 13;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int EOPNOTSUPP = 95;

    private final int errno;
    private final String operation;
    private final String kernelMessage;

    protected NetlinkException(int errno, String operation, String kernelMessage) {
        super(describe(errno, operation, kernelMessage));
        this.errno = errno;
        this.operation = operation;
        this.kernelMessage = kernelMessage;
    }

    protected NetlinkException(int errno, String operation, String kernelMessage, String message) {
        super(message);
        this.errno = errno;
        this.operation = operation;
        this.kernelMessage = kernelMessage;
    }

    /**
     * The one place where an errno becomes an exception type.
     *
     * @param errno positive errno as the kernel reported it (negated in the ack)
     * @param operation what we tried, in words
     * @param kernelMessage the kernel's extended-ack message, or {@code null}
     */
    public static NetlinkException of(int errno, String operation, String kernelMessage) {
        switch (kindOf(errno)) {
            case EXISTS:
                return new ObjectExistsException(errno, operation, kernelMessage);
            case NOT_FOUND:
                return new NoSuchObjectException(errno, operation, kernelMessage);
            case PERMISSION_DENIED:
                return new PermissionDeniedException(errno, operation, kernelMessage);
            case NOT_SUPPORTED:
                return new KernelFeatureMissingException(errno, operation, kernelMessage);
            default:
                return new NetlinkException(errno, operation, kernelMessage);
        }
    }

    /** Classifies an errno. */
    public static Kind kindOf(int errno) {
        switch (errno) {
            case EEXIST:
                return Kind.EXISTS;
            case ENOENT:
            case ENODEV:
            case ESRCH:
                return Kind.NOT_FOUND;
            case EPERM:
            case EACCES:
                return Kind.PERMISSION_DENIED;
            case EOPNOTSUPP:
                return Kind.NOT_SUPPORTED;
            default:
                return Kind.OTHER;
        }
    }

    /** Symbolic name of the errnos rtnetlink commonly returns, e.g. {@code "EEXIST"}; else {@code "errno 42"}. */
    public static String errnoName(int errno) {
        switch (errno) {
            case EPERM:
                return "EPERM";
            case ENOENT:
                return "ENOENT";
            case ESRCH:
                return "ESRCH";
            case EACCES:
                return "EACCES";
            case EBUSY:
                return "EBUSY";
            case EEXIST:
                return "EEXIST";
            case ENODEV:
                return "ENODEV";
            case EINVAL:
                return "EINVAL";
            case EOPNOTSUPP:
                return "EOPNOTSUPP";
            default:
                return "errno " + errno;
        }
    }

    private static String describe(int errno, String operation, String kernelMessage) {
        String text = operation + " failed: " + errnoName(errno);
        return kernelMessage == null || kernelMessage.isEmpty() ? text : text + " (kernel: " + kernelMessage + ")";
    }

    public int errno() {
        return errno;
    }

    public Kind kind() {
        return kindOf(errno);
    }

    public String operation() {
        return operation;
    }

    /** The kernel's extended-ack text, or {@code null} when it sent none. */
    public String kernelMessage() {
        return kernelMessage;
    }
}
