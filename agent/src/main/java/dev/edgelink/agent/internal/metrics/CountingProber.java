package dev.edgelink.agent.internal.metrics;

import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.path.PathProber;
import dev.edgelink.dataplane.path.ProbeResult;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/** A {@link PathProber} that counts probes and failures per path into the agent's metrics. */
public final class CountingProber implements PathProber {
    private final PathProber inner;
    private final AgentMetrics metrics;

    public CountingProber(PathProber inner, AgentMetrics metrics) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    @Override
    public CompletableFuture<ProbeResult> probe(PeerView peer, PathKind path) {
        metrics.probeSent(path);
        return inner.probe(peer, path).thenApply(r -> {
            if (!r.ok()) {
                metrics.probeFailed(path);
            }
            return r;
        });
    }
}
