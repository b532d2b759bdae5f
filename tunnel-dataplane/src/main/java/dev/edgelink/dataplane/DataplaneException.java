package dev.edgelink.dataplane;

/**
 * Root of the one exception hierarchy of the tunnel data plane. Every failure is one of these kinds, so callers
 * decide by type, never by parsing a message:
 *
 * <ul>
 *   <li>{@link dev.edgelink.dataplane.netlink.NetlinkException}: the kernel refused an operation and said why
 *       (an errno). Subclasses name the cases callers act on: the object exists, it does not, we lack the
 *       privilege, the kernel lacks the feature (fall back to the next path).</li>
 *   <li>{@link dev.edgelink.dataplane.netlink.MalformedMessageException}: bytes did not follow the rtnetlink
 *       layout. From the kernel that is a bug on one side; report it.</li>
 *   <li>{@link dev.edgelink.dataplane.netlink.NetlinkTransportException}: the netlink socket itself failed
 *       (could not be opened, bound, written, read, or made in another network namespace).</li>
 *   <li>{@link dev.edgelink.dataplane.kernel.RouteConflictException}: we would have replaced a route that is not
 *       ours; nothing was changed.</li>
 * </ul>
 */
public abstract class DataplaneException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    protected DataplaneException(String message) {
        super(message);
    }

    protected DataplaneException(String message, Throwable cause) {
        super(message, cause);
    }
}
