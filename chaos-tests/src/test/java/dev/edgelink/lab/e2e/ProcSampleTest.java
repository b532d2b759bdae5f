package dev.edgelink.lab.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reading a process's CPU, threads and memory from /proc. */
class ProcSampleTest {

    @Test
    void cpuTicksAreCountedAfterTheLastParenthesisOfTheName() {
        String stat = "4242 (edgelink-datapl) S 1 4242 4242 0 -1 4194560 9000 0 12 0 357 43 21 4 20 0 31 0 1234 0 0";
        assertArrayEquals(new long[] {400, 25}, ProcSample.ticks(stat));
        assertEquals("edgelink-datapl", ProcSample.comm(stat));
        String odd = "77 (C1 (x) Thre) R 1 2 3 0 -1 0 0 0 0 0 10 5 0 0 20 0 1 0 1 0 0";
        assertArrayEquals(new long[] {15, 0}, ProcSample.ticks(odd));
        assertEquals("C1 (x) Thre", ProcSample.comm(odd));
    }

    @Test
    void memoryComesFromTheStatusLinesInKib() {
        String status = "Name:\tjava\nVmHWM:\t   92044 kB\nVmRSS:\t   90880 kB\nThreads:\t27\n";
        assertEquals(90880, ProcSample.statusKib(status, "VmRSS"));
        assertEquals(92044, ProcSample.statusKib(status, "VmHWM"));
        assertEquals(-1, ProcSample.statusKib(status, "VmSwap"));
    }

    @Test
    void threadCpuIsGroupedByNameAndANewThreadCountsFromZero() {
        ProcSample before = sample(Map.of(1, t("main", 100), 2, t("GC Thread#0", 10), 3, t("GC Thread#0", 10),
                4, t("edgelink-datapl", 50)));
        ProcSample after = sample(Map.of(1, t("main", 100), 2, t("GC Thread#0", 12), 3, t("GC Thread#0", 13),
                4, t("edgelink-datapl", 80), 5, t("process reaper", 1)));
        Map<String, Double> ms = ProcSample.threadMillis(before, after);
        assertEquals(List.of("edgelink-datapl", "GC Thread#0", "process reaper", "main"), List.copyOf(ms.keySet()));
        assertEquals(300.0, ms.get("edgelink-datapl"));
        assertEquals(50.0, ms.get("GC Thread#0"));
        assertEquals(10.0, ms.get("process reaper"));
        assertEquals(80, after.threadTicks("edgelink-datapl"));
        assertEquals(0, after.threadTicks("edgelink-none"));
    }

    @Test
    void thisProcessCanBeRead() {
        ProcSample s = ProcSample.read(ProcessHandle.current().pid()).orElseThrow();
        assertTrue(s.rssKib() > 0 && s.hwmKib() >= s.rssKib(), s.toString());
        assertTrue(s.threads().size() > 1);
        assertTrue(ProcSample.read(Long.MAX_VALUE / 2).isEmpty());
    }

    private static ProcSample sample(Map<Integer, ProcSample.ThreadTicks> threads) {
        return new ProcSample(0, 0, 0, threads, 0, 0);
    }

    private static ProcSample.ThreadTicks t(String name, long ticks) {
        return new ProcSample.ThreadTicks(name, ticks);
    }
}
