package dev.edgelink.dataplane.internal.netlink;

import dev.edgelink.dataplane.netlink.NetlinkTransportException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a task inside another network namespace. The task runs on a new, dedicated platform thread that
 * {@code setns(2)}s into the namespace, runs the task, and {@code setns}es back before it ends; so no pooled or
 * virtual thread, nor the caller's thread, ever changes namespace. Sockets made by the task stay in the target
 * namespace for their whole life (that is how a netlink socket for another namespace is made).
 *
 * <p>If returning to the original namespace fails, the thread is about to end anyway and nothing else runs on it.
 */
public final class NetworkNamespaces {
    private static final AtomicInteger THREADS = new AtomicInteger();

    private NetworkNamespaces() {
    }

    /**
     * Calls {@code task} inside the namespace named by {@code namespace} ({@code /run/netns/NAME},
     * {@code /proc/PID/ns/net}) and returns its result. Exceptions of the task are rethrown as they are (unchecked,
     * and errors: an {@link Error} on the namespace thread is the caller's as if it had happened on its own thread)
     * or wrapped in {@link NetlinkTransportException} (checked).
     */
    public static <T> T call(Path namespace, Callable<T> task) {
        if (!Files.exists(namespace)) {
            throw new NetlinkTransportException("network namespace " + namespace + " does not exist");
        }
        FutureTask<T> future = new FutureTask<>(() -> inside(namespace, task));
        Thread thread = new Thread(future, "edgelink-netns-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        thread.start();
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NetlinkTransportException("interrupted while working in " + namespace, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException) {
                throw (RuntimeException) e.getCause();
            }
            if (e.getCause() instanceof Error) {
                throw (Error) e.getCause();
            }
            throw new NetlinkTransportException("failed in network namespace " + namespace, e.getCause());
        }
    }

    private static <T> T inside(Path namespace, Callable<T> task) throws Exception {
        LibC libc = LibC.get();
        int original = openNs(libc, Path.of("/proc/thread-self/ns/net"));
        try {
            int target = openNs(libc, namespace);
            try {
                if (libc.setns(target, LibC.CLONE_NEWNET) != 0) {
                    throw new NetlinkTransportException("setns(" + namespace + ") failed: "
                            + LibC.describe(LibC.errno()));
                }
            } finally {
                libc.close(target);
            }
            try {
                return task.call();
            } finally {
                if (libc.setns(original, LibC.CLONE_NEWNET) != 0) {
                    throw new NetlinkTransportException("could not return from " + namespace + ": "
                            + LibC.describe(LibC.errno()));
                }
            }
        } finally {
            libc.close(original);
        }
    }

    /** Opens a namespace file (O_RDONLY | O_CLOEXEC) and returns the fd; the caller closes it. */
    static int openNs(LibC libc, Path path) {
        int fd = libc.open(path.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0) {
            throw new NetlinkTransportException("cannot open network namespace " + path + ": "
                    + LibC.describe(LibC.errno()));
        }
        return fd;
    }
}
