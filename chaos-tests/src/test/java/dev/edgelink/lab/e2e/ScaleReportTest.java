package dev.edgelink.lab.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The scale run's table, goals and JSON lines. */
class ScaleReportTest {
    private static final KernelCounts KERNEL = new KernelCounts(1002, 1000, 100, 900, 1002,
            Map.of("PERMANENT", 900, "REACHABLE", 102), 900);
    private static final String STALL = "WARN ... nft -j list table ip edgelink_peers did not finish in 10 s";

    private static ScaleResult stalled() {
        return new ScaleResult(1000, 100, null, new ScaleResult.Startup(2.1, 2.1, 6.2, 100, 3.4),
                new ScaleResult.Cpu(40, 4, 4, 4, "nft reads", 10.6, 12.4, 3200, 2800, 60,
                        Map.of("edgelink-datapl", 2800.0)),
                new ScaleResult.Traffic(75, 7.5, 7.5, 75, 0.1, 45, 12.3, 11.0), KERNEL, KERNEL,
                new ScaleResult.Memory(88.8, 89.9, 27),
                new ScaleResult.Health(true, List.of(STALL), List.of(), null, Map.of("ACTIVE", 100, "SEARCHING", 900),
                        Map.of("hostgw", 100, "none", 900)),
                "1 / 1 / 1 -> 2 / 2 / 2", List.of());
    }

    @Test
    void aRowGivesPerRoundFiguresAndSaysWhyItStalled() {
        String table = ScaleReport.table(List.of(stalled()));
        assertEquals(cells(table, "| peers"), cells(table, "|---"));
        assertEquals(cells(table, "|---"), cells(table, "| 1000"));
        assertTrue(table.contains("| 1000 (100) | 4.0 (nft reads) | 10.60 / 12.40 | 800.0 | 700.0 | 15.0 | 8.0 / 7.0 "
                + "| 75 | 8 | 12.3 (11.0) | 45.0 | 100 / 900 (100 / 900) | 1002 |"), table);
        assertTrue(table.contains("| 6.20 / 4.10 | 88.8 / 89.9 | 27 | yes: WARN ... nft -j list table ip "
                + "edgelink_peers did not finish in 10 s; rounds up to 12.4 s apart; an answered peer went 12.3 s "
                + "without a probe |"), table);
        assertTrue(table.contains("- data plane round at 1000 peers <= 20 ms CPU: 800.0 ms of the agent's CPU a round "
                + "(its data plane thread 700.0 ms): missed"), table);
        assertTrue(table.contains("- 1000 peers: VmHWM 89.9 MiB (goal <= 128): met; answered peers' routes 4.10 s "
                + "after the peers reached the data plane (goal <= 1 s): missed; stalled: yes"), table);
    }

    @Test
    void roundsKnownOnlyWithinBoundsGiveRangesAndTheGoalIsDecidedOnlyWhenTheWholeRangeIsOnOneSide() {
        ScaleResult r = stalled();
        ScaleResult.Cpu bounded = new ScaleResult.Cpu(60, Double.NaN, 1, 3, "probe echoes", Double.NaN, Double.NaN,
                9000, 6000, 0, Map.of());
        String table = ScaleReport.table(List.of(new ScaleResult(1000, 100, null, r.startup(), bounded, r.traffic(),
                KERNEL, KERNEL, r.memory(), r.health(), r.load(), List.of())));
        assertTrue(table.contains("| 1000 (100) | 1-3 (probe echoes) | - / - | 3000.0-9000.0 | 2000.0-6000.0 "
                + "| 0.0-0.0 |"), table);
        assertTrue(table.contains("3000.0-9000.0 ms of the agent's CPU a round (its data plane thread 2000.0-6000.0 "
                + "ms): missed"), table);

        ScaleResult.Cpu straddling = new ScaleResult.Cpu(60, Double.NaN, 100, 201, "probe echoes", Double.NaN,
                Double.NaN, 3000, 2000, 0, Map.of());
        String undecided = ScaleReport.goals(List.of(new ScaleResult(1000, 100, null, r.startup(), straddling,
                r.traffic(), KERNEL, KERNEL, r.memory(), r.health(), r.load(), List.of())));
        assertTrue(undecided.contains("14.9-30.0 ms of the agent's CPU a round"), undecided);
        assertTrue(undecided.contains("undecided"), undecided);
    }

    @Test
    void aLoopThatProbedNoAnsweredPeerInTheWindowSaysSo() {
        ScaleResult r = stalled();
        ScaleResult quiet = new ScaleResult(5000, 500, null, r.startup(), new ScaleResult.Cpu(60, Double.NaN,
                Double.NaN, Double.NaN, "not counted", Double.NaN, Double.NaN, 17000, 12670, 0, Map.of()),
                new ScaleResult.Traffic(0, 0, 0, 0, 0, 72, Double.NaN, Double.NaN), KERNEL, KERNEL, r.memory(),
                new ScaleResult.Health(true, List.of(), List.of(), null, Map.of(), Map.of()), r.load(), List.of());
        assertTrue(ScaleReport.table(List.of(quiet)).contains("| yes: no answered peer got a probe in the window |"));
    }

    @Test
    void aRunThatCouldNotBeMeasuredSaysWhyAndItsJsonHasNullsForWhatWasNotSeen() throws Exception {
        ScaleResult failed = ScaleResult.failed(5000, 500, "the agent exited 3 while starting", "1 -> 1");
        String table = ScaleReport.table(List.of(failed));
        assertTrue(table.contains("| 5000 (500) | not measured: the agent exited 3 while starting |"), table);
        assertEquals(cells(table, "|---"), cells(table, "| 5000"));
        JsonNode j = new ObjectMapper().readTree(ScaleReport.json(failed));
        assertEquals("dataplane", j.path("part").asText());
        assertEquals(5000, j.path("peers").asInt());
        assertTrue(j.path("agentCpuMsPerRound").isNull());
        assertTrue(j.path("kernel").isNull());
        assertEquals("the agent exited 3 while starting", j.path("failure").asText());
    }

    @Test
    void theJsonLineCarriesTheFiguresOfTheTable() throws Exception {
        JsonNode j = new ObjectMapper().readTree(ScaleReport.json(stalled()));
        assertEquals(800.0, j.path("agentCpuMsPerRound").asDouble());
        assertEquals(700.0, j.path("dataplaneThreadCpuMsPerRound").asDouble());
        assertEquals(4.1, j.path("podRoutesAfterReadyS").asDouble(), 1e-9);
        assertEquals(900, j.path("kernel").path("trialRoutes").asInt());
        assertTrue(j.path("stalled").asBoolean());
        assertEquals(900, j.path("peerStates").path("SEARCHING").asInt());
        assertEquals(2800.0, j.path("threadCpuMsInWindow").path("edgelink-datapl").asDouble());
    }

    /** The '|' in the first line of {@code table} that starts with {@code start}. */
    private static long cells(String table, String start) {
        return table.lines().filter(l -> l.startsWith(start)).findFirst().orElseThrow().chars()
                .filter(ch -> ch == '|').count();
    }
}
