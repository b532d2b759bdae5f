package dev.edgelink.lab.e2e;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code /proc} says about one process at one moment: its CPU time (user + system, its own and that of the
 * children it reaped), each thread's name and CPU time, and its resident memory now and at its peak. CPU times are
 * in clock ticks ({@link #CLOCK_TICKS} a second).
 *
 * @param nanoTime when it was read ({@link System#nanoTime})
 * @param threads per thread id: its name (as the kernel has it, 15 characters at most) and CPU ticks
 */
record ProcSample(long nanoTime, long cpuTicks, long childTicks, Map<Integer, ThreadTicks> threads, long rssKib,
        long hwmKib) {
    /** {@code getconf CLK_TCK} on Linux. */
    static final int CLOCK_TICKS = 100;

    /** One thread's name and CPU ticks. */
    record ThreadTicks(String name, long ticks) {
    }

    /** Reads {@code /proc/PID}; empty when the process is gone. */
    static Optional<ProcSample> read(long pid) {
        Path dir = Path.of("/proc", Long.toString(pid));
        try {
            long now = System.nanoTime();
            String stat = Files.readString(dir.resolve("stat"));
            String status = Files.readString(dir.resolve("status"));
            Map<Integer, ThreadTicks> threads = new HashMap<>();
            try (DirectoryStream<Path> tasks = Files.newDirectoryStream(dir.resolve("task"))) {
                for (Path t : tasks) {
                    try {
                        String ts = Files.readString(t.resolve("stat"));
                        threads.put(Integer.parseInt(t.getFileName().toString()), new ThreadTicks(comm(ts),
                                ticks(ts)[0]));
                    } catch (NoSuchFileException gone) {
                        // the thread ended between the listing and the read
                    }
                }
            }
            long[] t = ticks(stat);
            return Optional.of(new ProcSample(now, t[0], t[1], threads, statusKib(status, "VmRSS"),
                    statusKib(status, "VmHWM")));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + dir, e);
        }
    }

    /**
     * utime + stime and cutime + cstime of a {@code /proc/PID/stat} (or task stat) line: fields 14 to 17, counted
     * after the command's closing parenthesis (a thread name may hold spaces and parentheses).
     */
    static long[] ticks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return new long[] {Long.parseLong(f[11]) + Long.parseLong(f[12]), Long.parseLong(f[13])
                + Long.parseLong(f[14])};
    }

    /** The command (thread name) of a stat line: between the first '(' and the last ')'. */
    static String comm(String stat) {
        return stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    }

    /** A "Key:   123 kB" line of {@code /proc/PID/status}, in KiB; -1 when missing. */
    static long statusKib(String status, String key) {
        for (String line : status.split("\n")) {
            if (line.startsWith(key + ":")) {
                return Long.parseLong(line.substring(key.length() + 1).replace("kB", "").trim());
            }
        }
        return -1;
    }

    /** Threads whose name starts with {@code prefix}: their CPU ticks added up (0 when there is none). */
    long threadTicks(String prefix) {
        return threads.values().stream().filter(t -> t.name().startsWith(prefix)).mapToLong(ThreadTicks::ticks)
                .sum();
    }

    /**
     * CPU used by each thread name between {@code before} and {@code after} (threads of one name added up, threads
     * that ended in between left out, new ones counted from 0), in milliseconds, the largest first.
     */
    static Map<String, Double> threadMillis(ProcSample before, ProcSample after) {
        Map<String, Double> byName = new HashMap<>();
        after.threads.forEach((tid, t) -> {
            ThreadTicks b = before.threads.get(tid);
            long d = t.ticks() - (b != null && b.name().equals(t.name()) ? b.ticks() : 0);
            byName.merge(t.name(), d * 1000.0 / CLOCK_TICKS, Double::sum);
        });
        List<Map.Entry<String, Double>> sorted = new ArrayList<>(byName.entrySet());
        sorted.sort(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder())
                .thenComparing(Map.Entry.comparingByKey()));
        Map<String, Double> out = new LinkedHashMap<>();
        sorted.forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }
}
