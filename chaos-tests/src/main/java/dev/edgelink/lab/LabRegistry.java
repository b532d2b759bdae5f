package dev.edgelink.lab;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every lab opened in this JVM, with the processes it started. A JVM shutdown hook closes the labs still open
 * (the safety net for a test run that is interrupted), and {@link #leftoversOfAll()} lets a suite assert at the
 * end that no lab of this run left anything behind.
 */
public final class LabRegistry {
    private static final Map<Lab, List<Leftovers.RecordedProcess>> ALL = new LinkedHashMap<>();
    private static final List<Lab> OPEN = new ArrayList<>();
    private static boolean hooked;
    private static boolean swept;

    private LabRegistry() {
    }

    static synchronized void opened(Lab lab) {
        if (!hooked) {
            Runtime.getRuntime().addShutdownHook(new Thread(LabRegistry::closeAllOpen, "edgelink-lab-teardown"));
            hooked = true;
        }
        OPEN.add(lab);
        ALL.put(lab, new ArrayList<>());
        StaleLabs.begin(lab);
    }

    static synchronized void sweepOnce() {
        if (!swept) {
            swept = true;
            StaleLabs.sweep();
        }
    }

    static synchronized void closed(Lab lab) {
        OPEN.remove(lab);
    }

    static void recordPid(Lab lab, long pid) {
        long start = ProcessHandle.of(pid).flatMap(h -> h.info().startInstant()).map(i -> i.toEpochMilli())
                .orElse(-1L);
        recordProcess(lab, new Leftovers.RecordedProcess(pid, start, "process of " + lab));
        StaleLabs.process(lab, pid, start);
    }

    static synchronized void recordProcess(Lab lab, Leftovers.RecordedProcess p) {
        ALL.computeIfAbsent(lab, l -> new ArrayList<>()).add(p);
    }

    static synchronized List<Leftovers.RecordedProcess> processes(Lab lab) {
        return List.copyOf(ALL.getOrDefault(lab, List.of()));
    }

    /** The labs of this JVM that are not closed yet. */
    public static synchronized List<Lab> open() {
        return List.copyOf(OPEN);
    }

    /** What any lab opened in this JVM left on the machine (namespaces, processes, files, ...). */
    public static List<String> leftoversOfAll() {
        List<Lab> labs;
        synchronized (LabRegistry.class) {
            labs = List.copyOf(ALL.keySet());
        }
        List<String> left = new ArrayList<>();
        for (Lab lab : labs) {
            left.addAll(lab.leftovers());
        }
        return left;
    }

    private static void closeAllOpen() {
        for (Lab lab : open()) {
            try {
                lab.close();
            } catch (RuntimeException e) {
                System.err.println("edgelink lab: teardown at JVM exit: " + e.getMessage());
            }
        }
    }
}
