package dev.edgelink.dataplane.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgelink.dataplane.tunnel.PeerStats;
import dev.edgelink.dataplane.tunnel.TunnelConfig;
import dev.edgelink.labsupport.NetnsLab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * iperf3 pod to pod through the userspace path ({@link UserspaceWorld}: two nodes over a plain veth, a direct libp2p
 * connection, edgelink0 on both), with offloads and without. Prints one line per run and the median per mode.
 * Run by {@code scripts/bench-userspace.sh}, which measures nebula and wireguard-go in the same run.
 *
 * <p>Usage: {@code UserspaceBench RUNS SECONDS [MODE...]}, modes {@code gso} and {@code plain}.
 */
public final class UserspaceBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    private UserspaceBench() {
    }

    public static void main(String[] args) throws Exception {
        int runs = Integer.parseInt(args[0]);
        int seconds = Integer.parseInt(args[1]);
        List<String> modes = args.length > 2 ? List.of(args).subList(2, args.length) : List.of("gso", "plain");
        for (String mode : modes) {
            TunnelConfig config = TunnelConfig.defaults(1400).withOffloads(mode.equals("gso"));
            try (UserspaceWorld w = UserspaceWorld.start(config)) {
                measure(w, mode, runs, seconds);
            }
        }
        System.exit(0);
    }

    private static void measure(UserspaceWorld w, String mode, int runs, int seconds) throws Exception {
        Path log = Files.createTempFile("iperf3-server", ".log");
        w.lab.spawnIn(w.b.podNs, List.of("iperf3", "-s", "-B", w.b.podAddress), log);
        Thread.sleep(500);
        w.lab.execIn(w.a.podNs, List.of("iperf3", "-c", w.b.podAddress, "-t", "2", "-J"));
        List<Double> gbits = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            LoadProbe load = LoadProbe.start();
            NetnsLab.Result r = w.lab.execIn(w.a.podNs, List.of("iperf3", "-c", w.b.podAddress, "-t",
                    Integer.toString(seconds), "-J"));
            String rtt = w.lab.execIn(w.a.podNs, List.of("ping", "-c", "5", "-i", "0.2", "-q",
                    w.b.podAddress)).output().replaceAll("(?s).*= [0-9.]+/([0-9.]+)/.*", "$1").trim();
            JsonNode result = JSON.readTree(r.output());
            if (result.has("error")) {
                System.out.printf("edgelink-%s run %d: iperf3 error: %s%n", mode, i + 1, result.path("error").asText());
            }
            JsonNode end = result.path("end");
            double g = end.path("sum_received").path("bits_per_second").asDouble() / 1e9;
            gbits.add(g);
            System.out.printf("edgelink-%s run %d: %.3f Gbit/s, retransmits %d, rtt %s ms, load %s%n", mode, i + 1,
                    g, end.path("sum_sent").path("retransmits").asLong(), rtt, load.finish());
        }
        PeerStats s = w.a.service().stats("b").orElseThrow();
        Collections.sort(gbits);
        System.out.printf("edgelink-%s median %.3f Gbit/s (sender stats %s)%n", mode, gbits.get(gbits.size() / 2), s);
    }

    /** The 1-minute load average at the start and end of a run. */
    private record LoadProbe(String atStart) {
        static LoadProbe start() throws java.io.IOException {
            return new LoadProbe(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        }

        String finish() throws java.io.IOException {
            return atStart + "->" + Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        }
    }
}
