package dev.edgelink.lab.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the join benchmark reads a status, folds what the six pollers saw into a round, and takes medians. */
class JoinBenchTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double[] CPU = {2.5, 1.25};

    private static JsonNode status(String peers) throws Exception {
        return JSON.readTree("{\"peers\": [" + peers + "]}");
    }

    @Test
    void aPeerAbsentOrNotActiveIsStillAwaited() throws Exception {
        JsonNode s = status("{\"node\": \"cloud\", \"state\": \"ACTIVE\", \"path\": \"direct\"},"
                + "{\"node\": \"a-n1\", \"state\": \"SEARCHING\", \"path\": null}");
        assertEquals(List.of("a-n1", "b-n1"), JoinBench.missing(s, List.of("cloud", "a-n1", "b-n1"),
                p -> "ACTIVE".equals(p.path("state").asText())));
        assertEquals("cloud direct, b-n1 -", JoinBench.paths(s, List.of("cloud", "b-n1")));
    }

    @Test
    void reachableIsWhenTheLastOfBothDirectionsSawIt() {
        JoinBench.Round r = JoinBench.round(1, 3.0, 4.0, List.of(sight("b-n2", 6.0), sight("cloud", 5.0),
                sight("a-n1", 7.5)), CPU, "1.0", "");
        assertEquals(6.0, r.joinerSeesAllS());
        assertEquals(7.5, r.allSeeJoinerS());
        assertEquals(7.5, r.reachableS());
        assertEquals("a-n1", r.lastObserver());
        assertTrue(r.complete());

        JoinBench.Round own = JoinBench.round(2, 3.0, 4.0, List.of(sight("b-n2", 9.0), sight("cloud", 5.0)), CPU,
                "1.0", "");
        assertEquals(9.0, own.reachableS());
        assertEquals("b-n2", own.lastObserver());
    }

    @Test
    void aNodeThatNeverSawItLeavesTheRoundIncompleteAndOutOfTheMedian() {
        JoinBench.Round failed = JoinBench.round(1, 3.0, 4.0, List.of(sight("b-n2", 6.0),
                new JoinBench.Sight("a-n1", Double.NaN, "", "not within 120 s, still waiting for b-n2")), CPU, "1.0",
                "");
        assertFalse(failed.complete());
        assertTrue(Double.isNaN(failed.reachableS()));
        assertEquals("a-n1: not within 120 s, still waiting for b-n2", failed.note());

        List<JoinBench.Round> rounds = List.of(failed, round(2, 5.0), round(3, 9.0), round(4, 7.0));
        String report = JoinBench.report(rounds, true, Instant.EPOCH, "1 / 1 / 1", "");
        assertTrue(report.contains("median of 3 complete rounds of 4: started 4.00 s, reachable 7.00 s"), report);
        assertTrue(report.contains("| 1 | 1.0 | 4.00 | 6.00 | not seen | not seen |  | 2.50 / 1.25 |"), report);
        assertTrue(report.contains("b-n2's agent 3.00 s, the other five agents 1.00 s together"), report);
        assertTrue(report.contains("with the cluster CA"), report);
    }

    private static JoinBench.Round round(int n, double reachable) {
        return JoinBench.round(n, 3.0, 4.0, List.of(sight("b-n2", reachable - 1), sight("cloud", reachable)),
                new double[] {n, 1}, "1.0", "");
    }

    private static JoinBench.Sight sight(String observer, double seconds) {
        return new JoinBench.Sight(observer, seconds, "", null);
    }

    @Test
    void cpuTimeIsUserPlusSystemTicksAfterTheCommand() {
        String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 9000 0 12 0 357 43 0 0 20 0 31 0 1234 0 0";
        assertEquals(400, JoinBench.cpuTicks(stat));
    }
}
