package dev.edgelink.dataplane.path;

import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import java.util.concurrent.CompletableFuture;

/**
 * Sends one probe to a peer's tunnel address and reports whether it came back. Which path the probe takes is the
 * kernel's business: the reconciler has routed the tunnel address through the path under test before the probe
 * is sent ({@code path} is given for logs and for fakes). The future always completes, never exceptionally: a
 * timeout or an error is a failed {@link ProbeResult}.
 */
public interface PathProber {
    CompletableFuture<ProbeResult> probe(PeerView peer, PathKind path);
}
