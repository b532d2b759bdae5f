package dev.edgelink.agent.internal.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgelink.agent.internal.metrics.Metrics;
import dev.edgelink.dataplane.reconcile.Refusal;
import dev.edgelink.net.IpPrefix;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What status and metrics show of the routes a peer may not take: clusterCidr's refusals and the reconciler's. */
class RefusedRoutesTest {
    private static final Map<String, List<String>> OUTSIDE = Map.of("x-n1",
            List.of("128.0.0.0/1: outside clusterCidr 10.244.0.0/16"));
    private static final List<Refusal> RECONCILER = List.of(
            new Refusal("x-n1", IpPrefix.parse("10.244.9.0/24"), Refusal.Reason.SHADOWS_ROUTE,
                    "would shadow route 10.244.0.0/16 via 10.1.0.254 dev eth0 proto static"),
            new Refusal("evil", IpPrefix.parse("10.1.0.0/24"), Refusal.Reason.REPLACES_ROUTE,
                    "would replace route 10.1.0.0/24 dev eth0 proto kernel"));

    @Test
    void bothKindsOfRefusalAreShownPerPeer() {
        Map<String, List<String>> shown = DataplaneViews.refusedCidrs(OUTSIDE, RECONCILER);

        assertEquals(List.of("128.0.0.0/1: outside clusterCidr 10.244.0.0/16",
                "10.244.9.0/24: would shadow route 10.244.0.0/16 via 10.1.0.254 dev eth0 proto static"),
                shown.get("x-n1"));
        assertEquals(List.of("10.1.0.0/24: would replace route 10.1.0.0/24 dev eth0 proto kernel"),
                shown.get("evil"));
        assertEquals(2, shown.size());
    }

    @Test
    void theGaugeCountsEveryReasonZeroIncluded() {
        List<Metrics.Sample> samples = DataplaneViews.routesRefused(OUTSIDE, RECONCILER);

        assertEquals(List.of(new Metrics.Sample(List.of("outside_cluster_cidr"), 1),
                new Metrics.Sample(List.of("would_replace"), 1), new Metrics.Sample(List.of("would_shadow"), 1),
                new Metrics.Sample(List.of("local_pod_cidr"), 0),
                new Metrics.Sample(List.of("tunnel_address_outside_pod_cidrs"), 0)), samples);
        assertEquals(0, DataplaneViews.routesRefused(Map.of(), List.of()).stream().mapToDouble(Metrics.Sample::value)
                .sum());
    }
}
