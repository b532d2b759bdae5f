package dev.edgelink.agent.internal.dataplane;

import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.path.PathProber;
import dev.edgelink.dataplane.path.ProbeResult;
import java.util.concurrent.CompletableFuture;

/**
 * Probes each rung with the prober that can judge it: kernel rungs with UDP echoes through the kernel, the
 * userspace rungs with the agent's connection-aware prober (set once the libp2p host is up; until then they fail).
 */
final class RungProber implements PathProber {
    private final PathProber kernel;
    private volatile PathProber userspace;

    RungProber(PathProber kernel) {
        this.kernel = kernel;
    }

    void setUserspace(PathProber prober) {
        this.userspace = prober;
    }

    @Override
    public CompletableFuture<ProbeResult> probe(PeerView peer, PathKind path) {
        if (path.kernel()) {
            return kernel.probe(peer, path);
        }
        PathProber u = userspace;
        if (u == null) {
            return CompletableFuture.completedFuture(ProbeResult.failure(path + ": the libp2p host is not up yet"));
        }
        return u.probe(peer, path);
    }
}
