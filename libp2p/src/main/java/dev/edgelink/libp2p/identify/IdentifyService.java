package dev.edgelink.libp2p.identify;

import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostListener;
import dev.edgelink.libp2p.host.Stream;
import dev.edgelink.libp2p.host.Streams;
import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * identify 1.0.0 and identify push 1.0.0. Serves our record on {@code /ipfs/id/1.0.0}, asks every new connection
 * for the remote's, accepts pushes, and pushes ours to every connection when it changes.
 */
public final class IdentifyService implements HostListener {

    public static final String PROTOCOL = "/ipfs/id/1.0.0";
    public static final String PUSH_PROTOCOL = "/ipfs/id/push/1.0.0";
    public static final String PROTOCOL_VERSION = "ipfs/0.1.0";
    /** Largest identify record accepted; real ones are a few hundred bytes to a few KiB. */
    public static final int MAX_MESSAGE = 64 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(IdentifyService.class);

    private final Host host;
    private final Map<Connection, CompletableFuture<IdentifyInfo>> results = new ConcurrentHashMap<>();
    private final List<BiConsumer<Connection, IdentifyInfo>> listeners = new CopyOnWriteArrayList<>();

    public IdentifyService(Host host) {
        this.host = host;
        host.setHandler(PROTOCOL, this::serve);
        host.setHandler(PUSH_PROTOCOL, this::receivePush);
        host.addListener(this);
    }

    /** Called with every identify result and push, on the connection's event loop. */
    public void addListener(BiConsumer<Connection, IdentifyInfo> listener) {
        listeners.add(listener);
    }

    /** The identify result for a connection (asked for when the connection opened). */
    public CompletableFuture<IdentifyInfo> identify(Connection connection) {
        return results.computeIfAbsent(connection, this::request);
    }

    @Override
    public void connectionOpened(Connection connection) {
        identify(connection);
    }

    @Override
    public void connectionClosed(Connection connection) {
        results.remove(connection);
    }

    /** Sends our current record to every connected peer that speaks identify push. */
    public void pushToAll() {
        for (Connection c : host.connections()) {
            c.newStream(PUSH_PROTOCOL).thenAccept(s -> {
                s.write(Unpooled.wrappedBuffer(IdentifyCodec.encode(ourRecord(c))));
                s.closeWrite();
            });
        }
    }

    private IdentifyInfo ourRecord(Connection connection) {
        return new IdentifyInfo(PROTOCOL_VERSION, host.config().agentVersion(),
                Optional.of(host.config().identity().publicKey()), host.listenAddresses(), host.protocols(),
                Optional.of(connection.remoteAddress()));
    }

    private void serve(Stream stream) {
        stream.setListener((s, data) -> data.release());
        stream.write(Unpooled.wrappedBuffer(IdentifyCodec.encode(ourRecord(stream.connection()))));
        stream.closeWrite();
    }

    private void receivePush(Stream stream) {
        Streams.readToEnd(stream, MAX_MESSAGE).thenAccept(buf -> {
            try {
                accept(stream.connection(), IdentifyCodec.decode(buf, MAX_MESSAGE));
            } catch (ProtocolViolationException e) {
                LOG.warn("identify push rejected: {} peer={}", e.getMessage(), stream.connection().remotePeer());
            } finally {
                buf.release();
            }
        });
    }

    private CompletableFuture<IdentifyInfo> request(Connection connection) {
        return connection.newStream(PROTOCOL)
                .thenCompose(s -> {
                    s.closeWrite();
                    return Streams.readToEnd(s, MAX_MESSAGE);
                })
                .thenApply(buf -> {
                    try {
                        IdentifyInfo info = IdentifyCodec.decode(buf, MAX_MESSAGE);
                        accept(connection, info);
                        return info;
                    } finally {
                        buf.release();
                    }
                });
    }

    private void accept(Connection connection, IdentifyInfo info) {
        if (info.publicKey().isPresent() && !connection.remotePeer().matches(info.publicKey().get())) {
            throw new ProtocolViolationException("identify: public key does not belong to " + connection.remotePeer());
        }
        for (BiConsumer<Connection, IdentifyInfo> l : listeners) {
            l.accept(connection, info);
        }
    }
}
