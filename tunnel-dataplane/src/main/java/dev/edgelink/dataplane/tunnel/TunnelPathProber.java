package dev.edgelink.dataplane.tunnel;

import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.path.PathProber;
import dev.edgelink.dataplane.path.ProbeResult;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Probes the userspace rungs the way {@link dev.edgelink.dataplane.path.probe.UdpPathProber} probes kernel ones:
 * a PING on the peer's tunnel stream, outside its packet queue, and the time until its PONG. A kernel rung is not
 * this prober's to judge and fails at once.
 */
public final class TunnelPathProber implements PathProber {
    private final TunnelService service;
    private final Duration timeout;

    public TunnelPathProber(TunnelService service, Duration timeout) {
        this.service = Objects.requireNonNull(service, "service");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    @Override
    public CompletableFuture<ProbeResult> probe(PeerView peer, PathKind path) {
        if (path.kernel()) {
            return CompletableFuture.completedFuture(ProbeResult.failure(path + " is not a userspace path"));
        }
        return service.probe(peer.nodeName(), timeout);
    }
}
