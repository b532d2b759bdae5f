package dev.edgelink.lab.e2e;

import java.util.List;
import java.util.Map;

/**
 * What one size of the data plane scale run measured ({@link DataplaneScaleBench}); {@code NaN} where a figure was
 * not seen. A run that could not be measured has a {@code failure} and whatever it got before.
 *
 * @param peers the static peers given to the agent
 * @param answered how many of them the responder answers for
 * @param failure why the run stopped early, or null
 * @param kernel the kernel objects at the end of the window
 * @param kernelPeak the largest counts seen in the window (counted every few seconds)
 * @param load the 1 / 5 / 15 min load averages at the start and the end
 */
record ScaleResult(int peers, int answered, String failure, Startup startup, Cpu cpu, Traffic traffic,
        KernelCounts kernel, KernelCounts kernelPeak, Memory memory, Health health, String load, List<String> notes) {

    /**
     * From the agent's spawn: its "agent started" and "peer view ready" log lines (the static peers handed to the
     * data plane), and every answered peer's pod route in the kernel; each the end of the first poll that showed it.
     *
     * @param podRoutesSeen answered peers with their pod route at the last poll
     * @param cpuS the agent's CPU seconds (its own, not its children's) from the spawn to the routes
     */
    record Startup(double startedS, double readyS, double podRoutesS, int podRoutesSeen, double cpuS) {
        static final Startup NONE = new Startup(Double.NaN, Double.NaN, Double.NaN, 0, Double.NaN);

        /** From the peers' arrival in the data plane to their routes. */
        double routesAfterReadyS() {
            return podRoutesS - readyS;
        }
    }

    /**
     * The measuring window: its length, the data plane rounds in it and how they were counted (a number, or only
     * bounds when counted from the probe echoes: {@code rounds} NaN), the round period (time between round ends),
     * and CPU milliseconds of the agent (its own), of its data plane thread and of the children it reaped (its nft
     * calls), in the whole window.
     *
     * @param threads CPU milliseconds per thread name in the window, the busiest first
     */
    record Cpu(double windowS, double rounds, double roundsLow, double roundsHigh, String roundsSource,
            double periodMedianS, double periodMaxS, double agentMs, double dataplaneMs, double childrenMs,
            Map<String, Double> threads) {
        static final Cpu NONE = new Cpu(Double.NaN, Double.NaN, Double.NaN, Double.NaN, "none", Double.NaN,
                Double.NaN, Double.NaN, Double.NaN, Double.NaN, Map.of());

        double agentMsPerRound() {
            return agentMs / rounds;
        }

        double dataplaneMsPerRound() {
            return dataplaneMs / rounds;
        }

        double childrenMsPerRound() {
            return childrenMs / rounds;
        }

        /** The agent's CPU a round when the rounds are known only within bounds: {low, high}. */
        double[] agentMsPerRoundBounds() {
            return new double[] {agentMs / roundsHigh, agentMs / roundsLow};
        }

        /** The agent's CPU in the window as a share of one core, in %. */
        double agentPercent() {
            return agentMs / (windowS * 10);
        }

        /** The data plane thread's CPU in the window as a share of one core, in %. */
        double dataplanePercent() {
            return dataplaneMs / (windowS * 10);
        }
    }

    /**
     * Per second of the window: probe packets the agent sent (nft counter on its output, {@code udp dport 8473})
     * and echoes it received, requests the responder answered, probes the agent counted itself
     * ({@code edgelink_path_probes_total}), the agent's nft calls, and route changes ({@code ip monitor route} lines);
     * and the longest time an answered peer went without a probe ({@link EchoWatch}: the largest over the peers
     * that had one, and the median of each peer's longest).
     */
    record Traffic(double probesPerS, double echoesPerS, double answeredPerS, double agentProbesPerS,
            double nftCallsPerS, double routeChangesPerS, double echoSilenceMaxS, double echoSilenceMedianS) {
        static final Traffic NONE = new Traffic(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                Double.NaN, Double.NaN, Double.NaN);
    }

    /** The agent's resident memory at the end of the window and its peak (VmRSS, VmHWM), and its thread count. */
    record Memory(double rssMib, double hwmMib, int threads) {
        static final Memory NONE = new Memory(Double.NaN, Double.NaN, 0);
    }

    /**
     * Whether the data plane stalled: the agent's log lines that say a call did not finish, its WARN and ERROR
     * lines (distinct messages, at most a few), whether it exited, and how its peers stood at the end.
     *
     * @param exitCode the agent's exit code if it exited during the run, else null
     * @param states peers per path state in {@code GET /status} at the end
     * @param paths peers per active path there ("none" while a peer has none)
     */
    record Health(boolean stalled, List<String> stallLines, List<String> warnings, Integer exitCode,
            Map<String, Integer> states, Map<String, Integer> paths) {
        static final Health NONE = new Health(false, List.of(), List.of(), null, Map.of(), Map.of());
    }

    /** The run for {@code peers} that could not be measured, with {@code failure} saying why. */
    static ScaleResult failed(int peers, int answered, String failure, String load) {
        return new ScaleResult(peers, answered, failure, Startup.NONE, Cpu.NONE, Traffic.NONE, null, null,
                Memory.NONE, Health.NONE, load, List.of());
    }
}
