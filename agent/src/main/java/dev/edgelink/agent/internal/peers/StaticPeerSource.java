package dev.edgelink.agent.internal.peers;

import dev.edgelink.agent.config.AgentConfig;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.StaticPeer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Peers written in the config's {@code staticPeers} section (a testing aid). Each offers every kernel path; vxlan
 * only if its VTEP MAC is given. The set never changes.
 */
public final class StaticPeerSource implements PeerSource {
    private final List<PeerView> peers;

    public StaticPeerSource(List<AgentConfig.StaticPeerConfig> configured) {
        List<PeerView> out = new ArrayList<>();
        for (AgentConfig.StaticPeerConfig p : configured) {
            Set<PathKind> paths = EnumSet.of(PathKind.HOSTGW, PathKind.IPIP);
            if (p.vtepMac().isPresent()) {
                paths.add(PathKind.VXLAN);
            }
            out.add(new StaticPeer(p.nodeName(), List.of(p.podCidr()), List.of(p.underlay()), Optional.empty(),
                    p.vtepMac(), p.podCidr().address(), paths));
        }
        this.peers = List.copyOf(out);
    }

    @Override
    public void start(Consumer<List<PeerView>> onChange) {
        onChange.accept(peers);
    }

    @Override
    public CompletableFuture<Void> ready() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public Optional<String> peerId(String nodeName) {
        return Optional.empty();
    }

    @Override
    public int members() {
        return peers.size() + 1;
    }

    @Override
    public void close() {
        // nothing runs
    }
}
