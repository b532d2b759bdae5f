package dev.edgelink.lab.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** How the data plane scale run counts rounds in its window, groups the agent's warnings, and reads its sizes. */
class DataplaneScaleBenchTest {

    @Test
    void roundsAreTheWindowOverTheMeanPeriodOfTheRoundEndsInIt() {
        List<Double> ends = List.of(99.8, 100.1, 100.4, 100.7, 101.0, 101.3, 160.2);
        DataplaneScaleBench.RoundCount rc = count(100.0, 101.5, 1.5, Double.NaN, ends, 3, 7);
        assertEquals("nft reads", rc.source());
        assertEquals(5.0, rc.rounds(), 1e-9);
        assertEquals(0.3, rc.medianS(), 1e-9);
        assertEquals(0.3, rc.maxS(), 1e-9);
    }

    @Test
    void aStalledLoopShowsItsLongestGapIncludingTheWindowsEdges() {
        List<Double> ends = List.of(90.0, 100.5, 111.0, 121.4);
        DataplaneScaleBench.RoundCount rc = count(95.0, 135.0, 40.0, Double.NaN, ends, 0, 1);
        assertEquals(40.0 / ((121.4 - 100.5) / 2), rc.rounds(), 1e-9);
        assertEquals(13.6, rc.maxS(), 1e-9);

        DataplaneScaleBench.RoundCount stuck = count(95.0, 135.0, 40.0, Double.NaN, List.of(90.0), 1, 3);
        assertEquals("nft reads", stuck.source());
        assertEquals(0, stuck.rounds());
        assertEquals(45.0, stuck.maxS(), 1e-9);
        assertTrue(Double.isNaN(stuck.medianS()));
    }

    @Test
    void theAgentsOwnCountWinsAndWithoutAnyCountTheEchoesGiveBounds() {
        List<Double> ends = List.of(100.1, 100.4, 100.7);
        DataplaneScaleBench.RoundCount metric = count(100.0, 101.0, 1.0, 4, ends, 2, 5);
        assertEquals("agent metric", metric.source());
        assertEquals(4, metric.rounds());
        assertEquals(0.3, metric.medianS(), 1e-9);

        DataplaneScaleBench.RoundCount echoes = count(100.0, 160.0, 60.0, Double.NaN, List.of(), 100, 201);
        assertEquals("probe echoes", echoes.source());
        assertTrue(Double.isNaN(echoes.rounds()));
        assertEquals(100, echoes.low());
        assertEquals(201, echoes.high());

        DataplaneScaleBench.RoundCount none = count(100.0, 160.0, 60.0, Double.NaN, List.of(), 0, 1);
        assertEquals("not counted", none.source());
        assertTrue(Double.isNaN(none.rounds()) && Double.isNaN(none.low()));
    }

    @Test
    void nftReadsThatAreNotOneARoundGiveWayToTheEchoes() {
        // reads every 3 s while the echoes show at least 100 rounds in the 60 s: the counters are read less often
        List<Double> ends = List.of(100.0, 103.0, 106.0, 109.0, 112.0, 115.0, 118.0, 121.0, 124.0, 127.0, 130.0);
        DataplaneScaleBench.RoundCount rc = count(100.0, 160.0, 60.0, Double.NaN, ends, 100, 201);
        assertEquals("probe echoes; nft reads say 20.0, not one a round", rc.source());
        assertEquals(100, rc.low());
    }

    private static DataplaneScaleBench.RoundCount count(double start, double end, double window, double metric,
            List<Double> ends, long low, long high) {
        return DataplaneScaleBench.countRounds(new double[] {start, end, window}, metric, ends, low, high);
    }

    @Test
    void warningsAreGroupedByMessageWithTheNumbersLeftOut() {
        String log = """
                [main] INFO dev.edgelink.agent.Agent - agent started (node=scale-agent)
                [edgelink-dataplane] WARN d.PathSelector - no working path: vxlan failed 3 probes (peer=p00001)
                [edgelink-dataplane] WARN d.PathSelector - no working path: vxlan failed 3 probes (peer=p00002)
                [edgelink-dataplane] WARN d.NodeDataplane - cannot count bytes per peer: nft did not finish in 10 s
                [edgelink-dataplane] WARN d.PathSelector - no working path: vxlan failed 3 probes (peer=p00003)
                """;
        assertEquals(List.of("3 x WARN d.PathSelector - no working path: vxlan failed # probes (peer=p#)",
                "1 x WARN d.NodeDataplane - cannot count bytes per peer: nft did not finish in # s"),
                DataplaneScaleBench.warnings(log));
    }

    @Test
    void sizesAreSeparatedBySpacesOrCommas() {
        assertEquals(List.of(100, 1000, 5000), DataplaneScaleBench.sizes(" 100, 1000 5000 "));
    }
}
