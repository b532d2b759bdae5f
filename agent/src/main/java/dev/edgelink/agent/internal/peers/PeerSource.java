package dev.edgelink.agent.internal.peers;

import dev.edgelink.dataplane.backend.PeerView;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Where the agent learns its peers: the membership view (signed node records), or peers written in the config.
 * The data plane sees only {@link PeerView}s; this is the adapter.
 */
public interface PeerSource extends AutoCloseable {

    /**
     * Starts; {@code onChange} receives the whole current set of peers (never this node) now and after every change,
     * from any thread, one call at a time.
     */
    void start(Consumer<List<PeerView>> onChange);

    /**
     * Completes when the view is complete enough to reconcile the kernel against. Until then the agent does not
     * reconcile, so that after a restart the routes of peers not yet relearnt are not torn down.
     */
    CompletableFuture<Void> ready();

    /** The libp2p peer id of a peer, where known. */
    Optional<String> peerId(String nodeName);

    /** Live members, this node included. */
    int members();

    /** Stops; a membership source announces that this node leaves (bounded wait). */
    @Override
    void close();
}
