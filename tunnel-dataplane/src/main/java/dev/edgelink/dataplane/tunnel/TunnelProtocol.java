package dev.edgelink.dataplane.tunnel;

import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.peer.PeerId;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds {@code /edgelink/tunnel/1.0.0} to a libp2p {@link Host}. The host authenticates the remote's PeerId (Noise);
 * {@code nodeOf} — the agent's membership view, from signed node records — turns it into the node name that the
 * stream's HELLO must then announce. A stream from a peer that is no member is reset at once.
 */
public final class TunnelProtocol {
    private static final Logger LOG = LoggerFactory.getLogger(TunnelProtocol.class);

    private TunnelProtocol() {
    }

    /**
     * Serves inbound tunnel streams on {@code host}. Give it the {@code UserspaceDevice} rather than its current
     * service, so that streams still arrive after the device had to be made again.
     */
    public static void serve(Host host, TunnelStreamSink service, Function<PeerId, Optional<String>> nodeOf) {
        host.setHandler(TunnelFrames.PROTOCOL, stream -> {
            PeerId remote = stream.connection().remotePeer();
            Optional<String> node = nodeOf.apply(remote);
            if (node.isEmpty()) {
                LOG.warn("tunnel stream refused: peer is no member of the cluster peer={}", remote);
                stream.reset();
                return;
            }
            service.attach(node.get(), stream);
        });
    }

    /** Opens the tunnel stream to {@code nodeName} on {@code connection} and hands it to {@code service}. */
    public static CompletableFuture<Void> open(Connection connection, String nodeName, TunnelStreamSink service) {
        return connection.newStream(TunnelFrames.PROTOCOL).thenAccept(s -> service.attach(nodeName, s));
    }
}
