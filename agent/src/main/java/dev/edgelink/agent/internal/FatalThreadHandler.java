package dev.edgelink.agent.internal;

import java.util.Objects;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's JVM-wide default uncaught exception handler: a thread that dies of an unexpected error ends the whole
 * process with one ERROR line naming the thread and the error, and exit code {@link #EXIT_CODE}, so that its
 * supervisor (systemd {@code Restart=always}, a DaemonSet) restarts the agent. Without it the thread would die
 * alone and the rest would run on half-broken: a dead TUN reader forwards no pod packet while {@code status} still
 * answers.
 *
 * <p>Why {@link Runtime#halt}, not {@link System#exit}: exit runs the shutdown hook, which stops the agent cleanly
 * and announces its leave, so peers would drop its routes until it is back. Halt leaves everything as after
 * {@code kill -9}: the kernel state (devices, routes, pod veths, masquerade) stays, peers keep it while the record
 * lives, and the restarted agent adopts it, as every restart does (see {@link dev.edgelink.agent.Agent}).
 *
 * <p>Why an error that escaped a thread is fatal: the threads that can survive a failure (periodic rounds, one CNI
 * or operator request, one packet) catch it themselves through {@link dev.edgelink.libp2p.threads.TaskGuard}; what
 * reaches this handler is an {@link Error} (out of memory, a stack overflow, a broken class path) or a bug in a
 * loop that has no safe way on. docs/agent-config.md, "When a thread fails", lists every thread.
 */
public final class FatalThreadHandler implements Thread.UncaughtExceptionHandler {
    /** The exit code after a thread died: {@code EX_SOFTWARE} of sysexits.h, "an internal software error". */
    public static final int EXIT_CODE = 70;
    private static final Logger LOG = LoggerFactory.getLogger(FatalThreadHandler.class);

    private final IntConsumer halt;

    /** @param halt ends the process with the given code and does not return ({@code Runtime.getRuntime()::halt}) */
    public FatalThreadHandler(IntConsumer halt) {
        this.halt = Objects.requireNonNull(halt, "halt");
    }

    /** Makes a handler that halts the JVM the default uncaught exception handler of every thread. */
    public static FatalThreadHandler install() {
        return install(Runtime.getRuntime()::halt);
    }

    /** Makes a handler with this halting action the default uncaught exception handler of every thread. */
    public static FatalThreadHandler install(IntConsumer halt) {
        FatalThreadHandler h = new FatalThreadHandler(halt);
        Thread.setDefaultUncaughtExceptionHandler(h);
        return h;
    }

    /** The log line: {@code fatal: thread NAME died: CLASS: MESSAGE; exiting for the supervisor to restart ...}. */
    static String message(Thread thread, Throwable error) {
        return "fatal: thread " + thread.getName() + " died: " + error.getClass().getName() + ": "
                + error.getMessage() + "; exiting for the supervisor to restart the agent";
    }

    @Override
    public void uncaughtException(Thread thread, Throwable error) {
        try {
            LOG.error(message(thread, error), error);
        } catch (Throwable ignored) {
            // out of memory even for the log line: the exit code still says what happened
        } finally {
            halt.accept(EXIT_CODE);
        }
    }
}
