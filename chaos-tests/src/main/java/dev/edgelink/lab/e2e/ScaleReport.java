package dev.edgelink.lab.e2e;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The data plane scale run's output: one markdown table over the sizes, the goals of issue 10 with each size's
 * figure, and one JSON line per size (keys stable, {@code null} for a figure not seen). Pure.
 */
final class ScaleReport {
    /** Issue 10's goals for one agent. */
    static final double ROUND_CPU_GOAL_MS = 20;
    static final int ROUND_CPU_GOAL_PEERS = 1000;
    static final double RSS_GOAL_MIB = 128;
    static final double ROUTES_GOAL_S = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ScaleReport() {
    }

    /** The table, one row per size, and the goals below it. */
    static String table(List<ScaleResult> results) {
        StringBuilder b = new StringBuilder();
        b.append("| peers (answered) | rounds in window (counted by) | round period median / max s "
                + "| agent CPU ms/round | data plane thread ms/round | nft children ms/round "
                + "| agent / data plane thread CPU % of a core | probes/s sent | echoes/s "
                + "| longest echo silence s (median) | route changes/s | our routes: pod / trial, end (peak) "
                + "| all routes | neighbours, end (peak) | fdb, end (peak) "
                + "| answered peers' routes s after spawn / after ready | VmRSS / VmHWM MiB | threads | stalled |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (ScaleResult r : results) {
            b.append(row(r)).append('\n');
        }
        b.append('\n').append(goals(results));
        return b.toString();
    }

    private static String row(ScaleResult r) {
        if (r.failure() != null && Double.isNaN(r.cpu().windowS())) {
            return String.format(Locale.ROOT, "| %d (%d) | not measured: %s ||||||||||||||||||", r.peers(),
                    r.answered(), SitesBench.cell(r.failure()));
        }
        ScaleResult.Cpu c = r.cpu();
        ScaleResult.Traffic t = r.traffic();
        KernelCounts k = r.kernel();
        KernelCounts p = r.kernelPeak();
        return String.format(Locale.ROOT, "| %d (%d) | %s (%s) | %s / %s | %s | %s | %s | %s / %s | %s | %s "
                + "| %s (%s) | %s | %s | %s | %s | %s | %s / %s | %s / %s | %d | %s |", r.peers(), r.answered(),
                rounds(c), c.roundsSource(), num(c.periodMedianS(), 2), num(c.periodMaxS(), 2),
                perRound(c.agentMs(), c), perRound(c.dataplaneMs(), c), perRound(c.childrenMs(), c),
                num(c.agentPercent(), 1), num(c.dataplanePercent(), 1), num(t.probesPerS(), 0),
                num(t.echoesPerS(), 0), num(t.echoSilenceMaxS(), 1), num(t.echoSilenceMedianS(), 1),
                num(t.routeChangesPerS(), 1),
                k == null ? "-" : k.podRoutes() + " / " + k.trialRoutes() + " (" + p.podRoutes() + " / "
                        + p.trialRoutes() + ")", k == null ? "-" : k.routes(),
                k == null ? "-" : k.neighbours() + " " + k.neighbourStates() + " (" + p.neighbours() + ")",
                k == null ? "-" : k.fdb() + " (" + p.fdb() + ")",
                num(r.startup().podRoutesS(), 2), num(r.startup().routesAfterReadyS(), 2),
                num(r.memory().rssMib(), 1), num(r.memory().hwmMib(), 1), r.memory().threads(), stalled(r));
    }

    /** The rounds: their number, or "LOW-HIGH" when only bounds are known, or "-". */
    private static String rounds(ScaleResult.Cpu c) {
        if (!Double.isNaN(c.rounds())) {
            return num(c.rounds(), 1);
        }
        return Double.isNaN(c.roundsLow()) ? "-" : num(c.roundsLow(), 0) + "-" + num(c.roundsHigh(), 0);
    }

    /** {@code ms} a round: one figure, or "LOW-HIGH" when the rounds are known only within bounds. */
    private static String perRound(double ms, ScaleResult.Cpu c) {
        if (!Double.isNaN(c.rounds())) {
            return num(ms / c.rounds(), 1);
        }
        return Double.isNaN(c.roundsLow()) ? "-" : num(ms / c.roundsHigh(), 1) + "-" + num(ms / c.roundsLow(), 1);
    }

    private static String stalled(ScaleResult r) {
        ScaleResult.Health h = r.health();
        List<String> why = new ArrayList<>();
        if (h.exitCode() != null) {
            why.add("agent exited " + h.exitCode());
        }
        h.stallLines().stream().limit(1).forEach(l -> why.add(SitesBench.cell(l)));
        double stall = DataplaneScaleBench.STALL.toSeconds();
        if (r.cpu().rounds() == 0) {
            why.add("no round ended in the window");
        } else if (r.cpu().periodMaxS() >= stall) {
            why.add(String.format(Locale.ROOT, "rounds up to %.1f s apart", r.cpu().periodMaxS()));
        }
        if (r.answered() > 0 && r.traffic().answeredPerS() == 0) {
            why.add("no answered peer got a probe in the window");
        }
        if (r.traffic().echoSilenceMaxS() >= stall) {
            why.add(String.format(Locale.ROOT, "an answered peer went %.1f s without a probe",
                    r.traffic().echoSilenceMaxS()));
        }
        if (r.failure() != null) {
            why.add(SitesBench.cell(r.failure()));
        }
        return (h.stalled() ? "yes" : "no") + (why.isEmpty() ? "" : ": " + String.join("; ", why));
    }

    /** Each goal with the figure of every size that has one. */
    static String goals(List<ScaleResult> results) {
        StringBuilder b = new StringBuilder("Goals (issue 10):\n");
        for (ScaleResult r : results) {
            if (r.peers() == ROUND_CPU_GOAL_PEERS) {
                ScaleResult.Cpu c = r.cpu();
                double[] bounds = Double.isNaN(c.rounds()) ? c.agentMsPerRoundBounds()
                        : new double[] {c.agentMsPerRound(), c.agentMsPerRound()};
                String verdict = Double.isNaN(bounds[0]) ? "not measured" : bounds[1] <= ROUND_CPU_GOAL_MS ? "met"
                        : bounds[0] > ROUND_CPU_GOAL_MS ? "missed" : "undecided (the rounds are known only within "
                        + "bounds)";
                b.append(String.format(Locale.ROOT, "- data plane round at %d peers <= %.0f ms CPU: %s ms of the "
                        + "agent's CPU a round (its data plane thread %s ms): %s%n", r.peers(), ROUND_CPU_GOAL_MS,
                        perRound(c.agentMs(), c), perRound(c.dataplaneMs(), c), verdict));
            }
        }
        for (ScaleResult r : results) {
            b.append(String.format(Locale.ROOT, "- %d peers: VmHWM %s MiB (goal <= %.0f): %s; answered peers' "
                    + "routes %s s after the peers reached the data plane (goal <= %.0f s): %s; stalled: %s%n",
                    r.peers(), num(r.memory().hwmMib(), 1), RSS_GOAL_MIB,
                    verdict(r.memory().hwmMib() <= RSS_GOAL_MIB, r.memory().hwmMib()),
                    num(r.startup().routesAfterReadyS(), 2), ROUTES_GOAL_S,
                    verdict(r.startup().routesAfterReadyS() <= ROUTES_GOAL_S, r.startup().routesAfterReadyS()),
                    stalled(r)));
        }
        return b.toString();
    }

    private static String verdict(boolean met, double figure) {
        return Double.isNaN(figure) ? "not measured" : met ? "met" : "missed";
    }

    /** One line of JSON for one size. */
    static String json(ScaleResult r) {
        ObjectNode o = JSON.createObjectNode();
        o.put("part", "dataplane");
        o.put("peers", r.peers());
        o.put("answered", r.answered());
        o.put("failure", r.failure());
        ScaleResult.Startup s = r.startup();
        put(o, "agentStartedS", s.startedS());
        put(o, "peersReadyS", s.readyS());
        put(o, "podRoutesS", s.podRoutesS());
        put(o, "podRoutesAfterReadyS", s.routesAfterReadyS());
        o.put("podRoutesSeen", s.podRoutesSeen());
        put(o, "startupCpuS", s.cpuS());
        cpu(o, r.cpu());
        ScaleResult.Traffic t = r.traffic();
        put(o, "probesSentPerS", t.probesPerS());
        put(o, "echoesReceivedPerS", t.echoesPerS());
        put(o, "responderAnsweredPerS", t.answeredPerS());
        put(o, "agentCountedProbesPerS", t.agentProbesPerS());
        put(o, "nftCallsPerS", t.nftCallsPerS());
        put(o, "routeChangesPerS", t.routeChangesPerS());
        put(o, "echoSilenceMaxS", t.echoSilenceMaxS());
        put(o, "echoSilenceMedianS", t.echoSilenceMedianS());
        kernel(o, "kernel", r.kernel());
        kernel(o, "kernelPeak", r.kernelPeak());
        put(o, "vmRssMiB", r.memory().rssMib());
        put(o, "vmHwmMiB", r.memory().hwmMib());
        o.put("threads", r.memory().threads());
        health(o, r.health());
        o.put("load", r.load());
        o.putPOJO("notes", r.notes());
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the result as JSON", e);
        }
    }

    private static void cpu(ObjectNode o, ScaleResult.Cpu c) {
        put(o, "windowS", c.windowS());
        put(o, "rounds", c.rounds());
        put(o, "roundsLow", c.roundsLow());
        put(o, "roundsHigh", c.roundsHigh());
        o.put("roundsCountedBy", c.roundsSource());
        put(o, "roundPeriodMedianS", c.periodMedianS());
        put(o, "roundPeriodMaxS", c.periodMaxS());
        put(o, "agentCpuMsPerRound", c.agentMsPerRound());
        put(o, "dataplaneThreadCpuMsPerRound", c.dataplaneMsPerRound());
        put(o, "childrenCpuMsPerRound", c.childrenMsPerRound());
        put(o, "agentCpuMsPerRoundLow", c.agentMsPerRoundBounds()[0]);
        put(o, "agentCpuMsPerRoundHigh", c.agentMsPerRoundBounds()[1]);
        put(o, "agentCpuPercent", c.agentPercent());
        put(o, "dataplaneThreadCpuPercent", c.dataplanePercent());
        ObjectNode th = o.putObject("threadCpuMsInWindow");
        c.threads().entrySet().stream().limit(8).forEach(e -> put(th, e.getKey(), e.getValue()));
    }

    private static void kernel(ObjectNode o, String key, KernelCounts k) {
        if (k == null) {
            o.putNull(key);
            return;
        }
        ObjectNode n = o.putObject(key);
        n.put("routes", k.routes());
        n.put("ourRoutes", k.ourRoutes());
        n.put("podRoutes", k.podRoutes());
        n.put("trialRoutes", k.trialRoutes());
        n.put("neighbours", k.neighbours());
        n.putPOJO("neighbourStates", k.neighbourStates());
        n.put("fdb", k.fdb());
    }

    private static void health(ObjectNode o, ScaleResult.Health h) {
        o.put("stalled", h.stalled());
        o.putPOJO("stallLines", h.stallLines());
        o.putPOJO("warnings", h.warnings());
        if (h.exitCode() == null) {
            o.putNull("agentExitCode");
        } else {
            o.put("agentExitCode", h.exitCode());
        }
        o.putPOJO("peerStates", h.states());
        o.putPOJO("peerPaths", h.paths());
    }

    private static void put(ObjectNode o, String key, double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            o.putNull(key);
        } else {
            o.put(key, Math.round(v * 1000) / 1000.0);
        }
    }

    private static String num(double v, int decimals) {
        if (Double.isNaN(v)) {
            return "-";
        }
        if (Double.isInfinite(v)) {
            return "no round";
        }
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** {@code counts} as "k v, k v" (for progress lines). */
    static String counts(Map<String, Integer> counts) {
        List<String> out = new ArrayList<>();
        counts.forEach((k, v) -> out.add(k + " " + v));
        return String.join(", ", out);
    }
}
