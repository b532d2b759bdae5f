package dev.edgelink.relay.autonat;

import dev.edgelink.libp2p.host.DialOptions;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * How the AutoNAT server dials a requester back: a full libp2p dial (TCP, security, muxer, and the remote must
 * prove it is the requesting peer), closed right after.
 */
@FunctionalInterface
public interface DialBack {

    /** Completes when {@code peer} answered on {@code address}; fails otherwise. */
    CompletableFuture<Void> dial(PeerId peer, Multiaddr address, Duration timeout);

    /**
     * Dial-backs from a separate host with a throw-away identity and no listeners, in the same private network as
     * {@code like}. The spec allows another peer id; using our main host would reuse the connection the request
     * came on and prove nothing. Close the returned host with the server.
     */
    static Host separateHost(HostConfig like) {
        HostConfig.Builder b = HostConfig.builder(Keys.generateEd25519()).listen(List.of())
                .eventLoopThreads(1).agentVersion(like.agentVersion() + " autonat-dialback").tasks(like.tasks());
        like.swarmKey().ifPresent(b::swarmKey);
        return Host.start(b.build());
    }

    /** Dial-backs through {@code host}: a forced dial, closed as soon as it is up. */
    static DialBack through(Host host) {
        return (peer, address, timeout) -> host.connect(address.withPeerId(peer),
                        new DialOptions(false, true, DialOptions.UpgradeRole.INITIATOR, Optional.of(timeout)))
                .thenAccept(c -> c.close());
    }
}
