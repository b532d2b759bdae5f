package dev.edgelink.cni;

/**
 * What the agent does for each CNI command. Every method throws {@link CniException} on failure, with the code the
 * client reports; any other exception is a bug and is reported as code 999.
 *
 * <p>Contract (SPEC.md 1.1.0): ADD for an attachment that exists fails; DEL is idempotent (a missing netns, link or
 * allocation is success) and releases what it can even without a netns; CHECK compares the kernel with the
 * request's {@code prevResult}; STATUS fails with 50 when ADD cannot be served; GC releases every allocation of the
 * network whose attachment is not in {@code cni.dev/valid-attachments}.
 */
public interface CniService {
    CniResult add(CniRequest request);

    void del(CniRequest request);

    void check(CniRequest request);

    void status(CniRequest request);

    void gc(CniRequest request);

    /** Calls the method for {@code request.command()}; returns the ADD result, else {@code null}. */
    default CniResult dispatch(CniRequest request) {
        switch (request.command()) {
            case ADD:
                return add(request);
            case DEL:
                del(request);
                return null;
            case CHECK:
                check(request);
                return null;
            case STATUS:
                status(request);
                return null;
            case GC:
                gc(request);
                return null;
            default:
                throw CniException.badEnvironment("CNI_COMMAND", "is " + request.command()
                        + ", which the agent does not serve (the launcher answers VERSION)");
        }
    }
}
