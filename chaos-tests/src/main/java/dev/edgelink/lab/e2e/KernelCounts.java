package dev.edgelink.lab.e2e;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The kernel objects in the agent's namespace, counted from iproute2's output (never from the agent's own view):
 * IPv4 routes of the main table, those with the agent's protocol (69) split into pod routes (a peer's pod CIDR) and
 * trial routes (/32 to a tunnel address), neighbour entries by state, and the FDB entries of the VXLAN device.
 *
 * @param neighbourStates neighbour entries per state (the last word of an {@code ip neigh} line: REACHABLE,
 *     STALE, FAILED, PERMANENT, ...)
 */
record KernelCounts(int routes, int ourRoutes, int podRoutes, int trialRoutes, int neighbours,
        Map<String, Integer> neighbourStates, int fdb) {
    /** The routing protocol number the agent gives its routes. */
    static final String PROTO = "proto 69";

    /** Counts from {@code ip -4 route show table main}, {@code ip -4 neigh show} and {@code bridge fdb show dev}. */
    static KernelCounts of(String routes, String neighbours, String fdb) {
        int all = 0;
        int ours = 0;
        int pod = 0;
        int trial = 0;
        for (String line : lines(routes)) {
            all++;
            if (line.contains(PROTO)) {
                ours++;
                String dest = line.split(" ", 2)[0];
                if (dest.endsWith("/32") || !dest.contains("/")) {
                    trial++;
                } else {
                    pod++;
                }
            }
        }
        Map<String, Integer> states = new TreeMap<>();
        List<String> neigh = lines(neighbours);
        for (String line : neigh) {
            String[] w = line.split(" ");
            states.merge(w[w.length - 1], 1, Integer::sum);
        }
        return new KernelCounts(all, ours, pod, trial, neigh.size(), states, lines(fdb).size());
    }

    /** Each count the larger of this and {@code o} (neighbour states added up per state the same way). */
    KernelCounts max(KernelCounts o) {
        if (o == null) {
            return this;
        }
        Map<String, Integer> states = new TreeMap<>(neighbourStates);
        o.neighbourStates.forEach((k, v) -> states.merge(k, v, Math::max));
        return new KernelCounts(Math.max(routes, o.routes), Math.max(ourRoutes, o.ourRoutes),
                Math.max(podRoutes, o.podRoutes), Math.max(trialRoutes, o.trialRoutes),
                Math.max(neighbours, o.neighbours), states, Math.max(fdb, o.fdb));
    }

    private static List<String> lines(String text) {
        return text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }
}
