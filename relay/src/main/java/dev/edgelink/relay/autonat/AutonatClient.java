package dev.edgelink.relay.autonat;

import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.relay.autonat.AutonatMessage.DialResponse;
import dev.edgelink.relay.wire.MessageStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AutoNAT v1 client: asks peers to dial us back at our candidate addresses and folds their answers into a
 * {@link NatStatus} with a {@link NatStatusTracker}. A peer that does not speak AutoNAT, breaks the protocol or
 * does not answer in time simply does not count.
 */
public final class AutonatClient {

    private static final Logger LOG = LoggerFactory.getLogger(AutonatClient.class);

    private final PeerId self;
    private final Supplier<List<Multiaddr>> candidates;
    private final NatStatusTracker tracker;
    private final ScheduledExecutorService scheduler;
    private final LongSupplier nanoTime;
    private final Duration timeout;

    /**
     * @param candidates the addresses to have dialed (our listen and observed addresses)
     * @param timeout how long to wait for one answer (the server's dial timeout plus a margin)
     */
    public AutonatClient(PeerId self, Supplier<List<Multiaddr>> candidates, NatStatusTracker tracker,
            ScheduledExecutorService scheduler, LongSupplier nanoTime, Duration timeout) {
        this.self = self;
        this.candidates = candidates;
        this.tracker = tracker;
        this.scheduler = scheduler;
        this.nanoTime = nanoTime;
        this.timeout = timeout;
    }

    /** Asks one peer. Fails when the peer gave no answer (no protocol, broken message, timeout). */
    public CompletableFuture<DialResponse> ask(Connection connection) {
        List<Multiaddr> ours = candidates.get();
        return connection.newStream(AutonatServer.PROTOCOL).thenCompose(stream -> {
            MessageStream messages = MessageStream.attach(stream, AutonatCodec.MAX_MESSAGE, scheduler);
            messages.write(AutonatCodec.encodeDial(self, ours));
            return messages.read(timeout).thenApply(bytes -> {
                AutonatMessage m = AutonatCodec.decode(bytes);
                if (!(m instanceof DialResponse response)) {
                    ProtocolViolationException e = new ProtocolViolationException("autonat: expected DIAL_RESPONSE");
                    messages.reset(e);
                    throw e;
                }
                messages.closeWrite();
                return response;
            });
        });
    }

    /** Asks every given peer; completes with the status once all have answered or failed. */
    public CompletableFuture<NatStatus> check(List<Connection> peers) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (Connection c : peers) {
            all.add(ask(c).handle((response, error) -> {
                if (error != null) {
                    LOG.debug("autonat: no answer: {} peer={}", error.getMessage(), c.remotePeer());
                } else {
                    NatStatus now = tracker.record(c.remotePeer(), response.status(), nanoTime.getAsLong());
                    LOG.debug("autonat answer {} ({}) peer={} status={}", response.status(), response.text(),
                            c.remotePeer(), now);
                }
                return null;
            }));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                .thenApply(v -> tracker.status(nanoTime.getAsLong()));
    }
}
