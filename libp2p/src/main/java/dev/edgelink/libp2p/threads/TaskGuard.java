package dev.edgelink.libp2p.threads;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens when a background task fails, decided in one place: a task that a restart of itself would not fix
 * any better than its next run (a periodic round that recomputes from scratch, one request, one packet) logs and
 * counts a {@link RuntimeException} and goes on; an {@link Error} is never survived here but handed to the thread's
 * uncaught exception handler (the agent's ends the process, see the agent's {@code FatalThreadHandler}).
 *
 * <p>Why this is needed: a {@link ScheduledExecutorService} keeps what a task throws in the task's future, which
 * nobody reads, and a periodic task that threw once is never run again; nothing is logged. A thread whose loop
 * throws ends, and only the JVM's default handler (a stack trace on stderr) says so.
 *
 * <p>Failures are counted per task name ({@link #failures()}, for {@code /metrics} and {@code status}). A failure is
 * logged at WARN with its stack trace at most once per {@link #DEFAULT_LOG_INTERVAL} per task and exception class,
 * with the number of failures of that task since its last line: a round failing every 300 ms writes one line a
 * minute, and a new kind of failure is logged at once.
 *
 * <p>Who decides: whoever creates a thread or a scheduler. A scheduler from {@link #newScheduler} guards every
 * {@link Runnable} given to it (once, periodic or not); {@link Callable}s are left alone, since their failure reaches
 * the caller through the future. A class that runs a loop on a thread of its own catches what it expects, reports
 * what is left of a unit of work (one request, one packet) with {@link #failed}, and lets an {@link Error} end the
 * thread.
 */
public final class TaskGuard {
    /** At most one log line per task and exception class in this time. */
    public static final Duration DEFAULT_LOG_INTERVAL = Duration.ofMinutes(1);
    private static final Logger LOG = LoggerFactory.getLogger(TaskGuard.class);

    private final LongSupplier nanoTime;
    private final long logIntervalNanos;
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    private final Map<String, Logged> logged = new ConcurrentHashMap<>();

    /** When a task and exception class was last logged, and the task's count then. */
    private record Logged(long atNanos, long countThen) {
    }

    /** Logs at most once per {@link #DEFAULT_LOG_INTERVAL} per task and exception class, on the system clock. */
    public TaskGuard() {
        this(System::nanoTime, DEFAULT_LOG_INTERVAL);
    }

    /**
     * @param nanoTime the clock of the log rate limit
     * @param logInterval at most one log line per task and exception class in this time
     */
    public TaskGuard(LongSupplier nanoTime, Duration logInterval) {
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        if (logInterval.isNegative()) {
            throw new IllegalArgumentException("logInterval must not be negative: " + logInterval);
        }
        this.logIntervalNanos = logInterval.toNanos();
    }

    /**
     * {@code body} as a task that logs and counts a {@link RuntimeException} as a failure of {@code task} and returns
     * normally (so a periodic task runs again at its next time), and hands an {@link Error} to the current thread's
     * uncaught exception handler before rethrowing it. Meant for a task run by an executor, which would otherwise
     * keep either in a future that nobody reads.
     */
    public Runnable guard(String task, Runnable body) {
        Objects.requireNonNull(body, "body");
        if (body instanceof Guarded g && g.task.equals(task) && g.owner == this) {
            return body;
        }
        track(task);
        return new Guarded(this, task, body);
    }

    /**
     * A single-thread scheduler on a daemon thread named {@code threadName} that runs every {@link Runnable} given to
     * it ({@code execute}, {@code submit}, {@code schedule}, {@code scheduleAtFixedRate},
     * {@code scheduleWithFixedDelay}) through {@link #guard} as {@code task}.
     */
    public ScheduledExecutorService newScheduler(String threadName, String task) {
        Objects.requireNonNull(threadName, "threadName");
        track(task);
        return new GuardedScheduler(this, task, threadName);
    }

    /**
     * Counts a failure of {@code task} and logs it (rate-limited, see the class comment). For a unit of work that
     * failed while its thread goes on: a request answered with an error, a packet dropped.
     */
    public void failed(String task, Throwable error) {
        LongAdder count = counts.computeIfAbsent(task, k -> new LongAdder());
        count.increment();
        long total = count.sum();
        String key = task + '/' + error.getClass().getName();
        long now = nanoTime.getAsLong();
        Logged last = logged.get(key);
        if (last != null && now - last.atNanos() < logIntervalNanos) {
            return;
        }
        Logged next = new Logged(now, total);
        boolean won = last == null ? logged.putIfAbsent(key, next) == null : logged.replace(key, last, next);
        if (won) {
            long since = last == null ? 1 : total - last.countThen();
            LOG.warn("background task failed and goes on: {} (task={}, failures={}, sinceLastLine={})", error,
                    task, total, since, error);
        }
    }

    /** Makes {@code task} appear in {@link #failures()} with 0 before it ever fails. */
    public void track(String task) {
        Objects.requireNonNull(task, "task");
        counts.computeIfAbsent(task, k -> new LongAdder());
    }

    /** Failures so far of one task. */
    public long failures(String task) {
        LongAdder a = counts.get(task);
        return a == null ? 0 : a.sum();
    }

    /** Failures so far of every task tracked, by task name. */
    public Map<String, Long> failures() {
        Map<String, Long> out = new TreeMap<>();
        counts.forEach((task, n) -> out.put(task, n.sum()));
        return out;
    }

    /** Hands {@code error} to the current thread's uncaught exception handler (the agent's ends the process). */
    static void toUncaughtHandler(Error error) {
        Thread t = Thread.currentThread();
        t.getUncaughtExceptionHandler().uncaughtException(t, error);
    }

    private static final class Guarded implements Runnable {
        private final TaskGuard owner;
        private final String task;
        private final Runnable body;

        Guarded(TaskGuard owner, String task, Runnable body) {
            this.owner = owner;
            this.task = task;
            this.body = body;
        }

        @Override
        public void run() {
            try {
                body.run();
            } catch (RuntimeException e) {
                owner.failed(task, e);
            } catch (Error e) {
                toUncaughtHandler(e);
                throw e;
            }
        }

        @Override
        public String toString() {
            return task + ":" + body;
        }
    }

    /** A {@link ScheduledThreadPoolExecutor} of one daemon thread that guards every Runnable. */
    private static final class GuardedScheduler extends ScheduledThreadPoolExecutor {
        private final TaskGuard owner;
        private final String task;

        GuardedScheduler(TaskGuard owner, String task, String threadName) {
            super(1, r -> {
                Thread t = new Thread(r, threadName);
                t.setDaemon(true);
                return t;
            });
            this.owner = owner;
            this.task = task;
        }

        private Runnable guarded(Runnable command) {
            return owner.guard(task, Objects.requireNonNull(command, "command"));
        }

        @Override
        public void execute(Runnable command) {
            super.execute(guarded(command));
        }

        @Override
        public Future<?> submit(Runnable command) {
            return super.submit(guarded(command));
        }

        @Override
        public <T> Future<T> submit(Runnable command, T result) {
            return super.submit(guarded(command), result);
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            return super.schedule(guarded(command), delay, unit);
        }

        @Override
        public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period,
                TimeUnit unit) {
            return super.scheduleAtFixedRate(guarded(command), initialDelay, period, unit);
        }

        @Override
        public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay,
                TimeUnit unit) {
            return super.scheduleWithFixedDelay(guarded(command), initialDelay, delay, unit);
        }
    }
}
