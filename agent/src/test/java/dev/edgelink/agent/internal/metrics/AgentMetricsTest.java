package dev.edgelink.agent.internal.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.libp2p.threads.TaskGuard;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Prometheus text the agent serves on /metrics, line by line. */
class AgentMetricsTest {

    private static AgentMetrics withGauges() {
        AgentMetrics m = new AgentMetrics();
        m.bindGauges(() -> List.of(new Metrics.Sample(List.of("vxlan"), 1), new Metrics.Sample(List.of("hostgw"), 2),
                new Metrics.Sample(List.of("none"), 0)),
                () -> List.of(new Metrics.Sample(List.of("vxlan", "tx"), 123456789)),
                () -> List.of(new Metrics.Sample(List.of("node2", "rx"), 42), new Metrics.Sample(List.of("node2", "tx"),
                        7)),
                () -> List.of(new Metrics.Sample(List.of(), 3)));
        return m;
    }

    @Test
    void everyFamilyHasHelpAndTypeAndSamplesAreSortedByLabel() {
        AgentMetrics m = withGauges();
        m.probeSent(PathKind.VXLAN);
        m.probeSent(PathKind.HOSTGW);
        m.probeFailed(PathKind.VXLAN);
        m.pathChanged(PathKind.HOSTGW);
        m.pathChanged(null);
        String text = m.render();
        List<String> lines = List.of(text.split("\n"));
        assertTrue(lines.contains("# TYPE edgelink_path_probes_total counter"), text);
        assertTrue(lines.contains("# HELP edgelink_path_probes_total Path probes sent, by path."), text);
        int hostgw = lines.indexOf("edgelink_path_probes_total{path=\"hostgw\"} 1");
        int vxlan = lines.indexOf("edgelink_path_probes_total{path=\"vxlan\"} 1");
        assertTrue(hostgw >= 0 && vxlan > hostgw, text);
        assertTrue(lines.contains("edgelink_path_probe_failures_total{path=\"vxlan\"} 1"), text);
        assertTrue(lines.contains("edgelink_path_changes_total{path=\"hostgw\"} 1"), text);
        assertTrue(lines.contains("edgelink_path_changes_total{path=\"none\"} 1"), text);
        assertTrue(lines.contains("# TYPE edgelink_peers gauge"), text);
        int peersHostgw = lines.indexOf("edgelink_peers{path=\"hostgw\"} 2");
        assertTrue(peersHostgw >= 0 && peersHostgw < lines.indexOf("edgelink_peers{path=\"none\"} 0"), text);
        assertTrue(lines.contains("edgelink_peers{path=\"vxlan\"} 1"), text);
        assertTrue(lines.contains("edgelink_path_bytes{path=\"vxlan\",direction=\"tx\"} 123456789"), text);
        assertTrue(lines.contains("edgelink_members 3"), text);
        assertTrue(lines.contains("# TYPE edgelink_peer_bytes_total counter"), text);
        assertTrue(lines.contains("edgelink_peer_bytes_total{peer=\"node2\",direction=\"rx\"} 42"), text);
        assertTrue(lines.contains("edgelink_peer_bytes_total{peer=\"node2\",direction=\"tx\"} 7"), text);
        for (String line : lines) {
            assertTrue(line.startsWith("# HELP edgelink_") || line.startsWith("# TYPE edgelink_")
                    || line.matches("edgelink_[a-z_]+(\\{[a-z]+=\"[^\"]*\"(,[a-z]+=\"[^\"]*\")*})? -?[0-9.eE+-]+"),
                    "not exposition format: " + line);
        }
    }

    @Test
    void taskFailuresAreACounterPerTaskWithTrackedTasksAtZero() {
        TaskGuard tasks = new TaskGuard();
        tasks.track("nat");
        tasks.failed("dataplane", new IllegalStateException("round failed"));
        tasks.failed("dataplane", new IllegalStateException("round failed again"));
        AgentMetrics m = new AgentMetrics();
        m.bindTaskFailures(tasks::failures);
        List<String> lines = List.of(m.render().split("\n"));
        assertTrue(lines.contains("# TYPE edgelink_task_failures_total counter"), lines.toString());
        assertTrue(lines.contains("edgelink_task_failures_total{task=\"dataplane\"} 2"), lines.toString());
        assertTrue(lines.contains("edgelink_task_failures_total{task=\"nat\"} 0"), lines.toString());
    }

    @Test
    void theHostsConnectionsAndRefusalsAreExportedByStateAndReason() {
        AgentMetrics m = new AgentMetrics();
        Map<String, Long> refused = new LinkedHashMap<>();
        refused.put("pending_per_ip", 33L);
        refused.put("peer_gate", 0L);
        m.bindConnections(() -> List.of(new Metrics.Sample(List.of("pending"), 8),
                new Metrics.Sample(List.of("established"), 1)), () -> refused);
        List<String> lines = List.of(m.render().split("\n"));
        assertTrue(lines.contains("# TYPE edgelink_connections_refused_total counter"), lines.toString());
        assertTrue(lines.contains("edgelink_connections_refused_total{reason=\"pending_per_ip\"} 33"),
                lines.toString());
        assertTrue(lines.contains("edgelink_connections_refused_total{reason=\"peer_gate\"} 0"), lines.toString());
        assertTrue(lines.contains("edgelink_connections{state=\"pending\"} 8"), lines.toString());
        assertTrue(lines.contains("edgelink_connections{state=\"established\"} 1"), lines.toString());
    }

    @Test
    void cniLatencyIsAHistogramWithCumulativeBucketsSumAndCount() {
        AgentMetrics m = withGauges();
        m.cniServed("add", "ok", 0.004);
        m.cniServed("add", "ok", 0.3);
        m.cniServed("add", "7", 20);
        m.cniServed("del", "ok", 0.001);
        String text = m.render();
        List<String> lines = List.of(text.split("\n"));
        assertTrue(lines.contains("# TYPE edgelink_cni_operation_duration_seconds histogram"), text);
        assertTrue(lines.contains("edgelink_cni_operations_total{command=\"add\",result=\"ok\"} 2"), text);
        assertTrue(lines.contains("edgelink_cni_operations_total{command=\"add\",result=\"7\"} 1"), text);
        assertTrue(lines.contains("edgelink_cni_operation_duration_seconds_bucket{command=\"add\",le=\"0.001\"} 0"),
                text);
        assertTrue(lines.contains("edgelink_cni_operation_duration_seconds_bucket{command=\"add\",le=\"0.005\"} 1"),
                text);
        assertTrue(lines.contains("edgelink_cni_operation_duration_seconds_bucket{command=\"add\",le=\"0.5\"} 2"),
                text);
        assertTrue(lines.contains("edgelink_cni_operation_duration_seconds_bucket{command=\"add\",le=\"10\"} 2"),
                text);
        assertTrue(lines.contains("edgelink_cni_operation_duration_seconds_bucket{command=\"add\",le=\"+Inf\"} 3"),
                text);
        assertTrue(lines.contains("edgelink_cni_operation_duration_seconds_count{command=\"add\"} 3"), text);
        assertTrue(lines.contains("edgelink_cni_operation_duration_seconds_sum{command=\"add\"} 20.304"), text);
        assertTrue(lines.contains("edgelink_cni_operation_duration_seconds_bucket{command=\"del\",le=\"0.001\"} 1"),
                text);
    }

    @Test
    void labelValuesAreEscapedAndLabelCountsChecked() {
        Metrics r = new Metrics();
        Metrics.Counter c = r.counter("x_total", "help", "a");
        c.inc("quote\" back\\ nl\n");
        assertTrue(r.render().contains("x_total{a=\"quote\\\" back\\\\ nl\\n\"} 1"), r.render());
        assertThrows(IllegalArgumentException.class, () -> c.inc("1", "2"));
        assertThrows(IllegalArgumentException.class, () -> r.counter("x_total", "again"));
        assertEquals(1, c.value("quote\" back\\ nl\n"));
    }

    @Test
    void refusedRoutesAreAGaugeByReason() {
        AgentMetrics m = new AgentMetrics();
        m.bindRoutesRefused(() -> List.of(new Metrics.Sample(List.of("would_replace"), 1),
                new Metrics.Sample(List.of("outside_cluster_cidr"), 2)));
        List<String> lines = List.of(m.render().split("\n"));

        assertTrue(lines.contains("# TYPE edgelink_routes_refused gauge"), lines.toString());
        assertTrue(lines.contains("edgelink_routes_refused{reason=\"outside_cluster_cidr\"} 2"), lines.toString());
        assertTrue(lines.contains("edgelink_routes_refused{reason=\"would_replace\"} 1"), lines.toString());
    }
}
