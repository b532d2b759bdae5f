package dev.edgelink.agent.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.labsupport.Stderr;
import dev.edgelink.libp2p.threads.TaskGuard;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FatalThreadHandlerTest {
    private static final String FIELD_ERROR = "Cannot reserve 1048576 bytes of direct buffer memory";
    private static final long WAIT_SECONDS = 30;

    @TempDir
    Path dir;

    /** A halting action that records the code and returns (the JVM goes on), and counts down when called. */
    private static final class Halts {
        final List<Integer> codes = new CopyOnWriteArrayList<>();
        final CountDownLatch called = new CountDownLatch(1);

        void halt(int code) {
            codes.add(code);
            called.countDown();
        }
    }

    @Test
    void aDeadThreadIsLoggedWithItsNameAndErrorAndTheProcessHaltsWithExitCode70() {
        Halts halts = new Halts();
        FatalThreadHandler handler = new FatalThreadHandler(halts::halt);
        Thread reader = new Thread(() -> { }, "edgelink-tun-reader");

        String log = Stderr.capture(() -> handler.uncaughtException(reader, new OutOfMemoryError(FIELD_ERROR)));

        assertEquals(List.of(70), halts.codes);
        assertTrue(log.contains("ERROR dev.edgelink.agent.internal.FatalThreadHandler - fatal: thread "
                + "edgelink-tun-reader died: java.lang.OutOfMemoryError: " + FIELD_ERROR
                + "; exiting for the supervisor to restart the agent"), log);
        assertEquals(70, FatalThreadHandler.EXIT_CODE);
    }

    /**
     * The agent's wiring in one JVM: with the handler installed as the agent command installs it, an Error in a task
     * of one of the agent's schedulers (made by its TaskGuard) and an Error that ends a thread of its own both reach
     * the halt with code 70.
     */
    @Test
    void anErrorOnAnAgentSchedulerOrThreadReachesTheInstalledHandler() throws Exception {
        Thread.UncaughtExceptionHandler before = Thread.getDefaultUncaughtExceptionHandler();
        Halts scheduled = new Halts();
        Halts own = new Halts();
        TaskGuard tasks = new TaskGuard();
        ScheduledExecutorService dataplane = tasks.newScheduler("edgelink-dataplane", "dataplane");
        try {
            FatalThreadHandler.install(scheduled::halt);
            dataplane.scheduleWithFixedDelay(() -> {
                throw new OutOfMemoryError(FIELD_ERROR);
            }, 0, 300, TimeUnit.MILLISECONDS);
            assertTrue(scheduled.called.await(WAIT_SECONDS, TimeUnit.SECONDS), "the data plane's Error halts");
            assertEquals(List.of(70), scheduled.codes);

            FatalThreadHandler.install(own::halt);
            Thread reader = new Thread(() -> {
                throw new OutOfMemoryError(FIELD_ERROR);
            }, "edgelink-tun-reader");
            reader.start();
            reader.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            assertTrue(own.called.await(WAIT_SECONDS, TimeUnit.SECONDS), "a thread of its own that dies halts");
            assertEquals(List.of(70), own.codes);
            assertEquals(0, tasks.failures("dataplane"), "an Error is not counted as a failure gone on from");
        } finally {
            dataplane.shutdownNow();
            Thread.setDefaultUncaughtExceptionHandler(before);
        }
    }

    /**
     * For real, in a JVM of its own: a thread dies of the error seen in the field; the process ends with 70 and the
     * one line, and no shutdown hook runs (halt, not exit: the agent's hook would announce a leave and peers would
     * drop its routes).
     */
    @ParameterizedTest
    @ValueSource(strings = {"thread", "scheduler"})
    void aJvmWhoseThreadDiesExitsWith70WithoutRunningShutdownHooks(String where) throws Exception {
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.slf4j.simpleLogger.logFile=System.err", "-cp", System.getProperty("java.class.path"),
                DyingJvm.class.getName(), where)
                .redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(WAIT_SECONDS, TimeUnit.SECONDS), "the JVM ended");
        String log = Files.readString(err);
        String thread = where.equals("thread") ? "edgelink-tun-reader" : "edgelink-dataplane";
        assertEquals(70, p.exitValue(), log);
        assertTrue(log.contains("fatal: thread " + thread + " died: java.lang.OutOfMemoryError: " + FIELD_ERROR
                + "; exiting for the supervisor to restart the agent"), log);
        assertFalse(log.contains(DyingJvm.HOOK_RAN), log);
    }

    /** The child JVM of {@link #aJvmWhoseThreadDiesExitsWith70WithoutRunningShutdownHooks}. */
    public static final class DyingJvm {
        static final String HOOK_RAN = "shutdown hook ran";

        private DyingJvm() {
        }

        public static void main(String[] args) throws InterruptedException {
            FatalThreadHandler.install();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> System.err.println(HOOK_RAN)));
            Runnable dies = () -> {
                throw new OutOfMemoryError(FIELD_ERROR);
            };
            if (args[0].equals("thread")) {
                new Thread(dies, "edgelink-tun-reader").start();
            } else {
                new TaskGuard().newScheduler("edgelink-dataplane", "dataplane").execute(dies);
            }
            Thread.sleep(TimeUnit.SECONDS.toMillis(WAIT_SECONDS)); // the halt ends this; else exit 0 fails the test
        }
    }
}
