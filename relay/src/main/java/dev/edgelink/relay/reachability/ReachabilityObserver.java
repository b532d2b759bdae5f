package dev.edgelink.relay.reachability;

import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostListener;
import dev.edgelink.libp2p.identify.IdentifyInfo;
import dev.edgelink.libp2p.identify.IdentifyService;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.relay.autonat.NatStatus;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps our reachability up to date as identify results and AutoNAT verdicts arrive, and tells listeners when it
 * changes. Holds the latest observation per (observer, local socket), at most {@code maxObservations}, each for
 * {@code maxAgeNanos} and only while the connection it was made on is open: a mapping seen on a connection that
 * is gone says nothing about the NAT now (after the NAT changed, the old connections die and only new ones show
 * the new behaviour; their old observations would keep the old verdict for the whole age). Listeners run on the
 * thread that reported the change. Thread-safe.
 */
public final class ReachabilityObserver {

    /** Told about every change of the classification. */
    @FunctionalInterface
    public interface Listener {
        void changed(Reachability before, Reachability after);
    }

    private static final Logger LOG = LoggerFactory.getLogger(ReachabilityObserver.class);

    private final ReachabilityClassifier classifier;
    private final LongSupplier nanoTime;
    private final long maxAgeNanos;
    private final int maxObservations;
    private final Map<String, Observation> observations = new LinkedHashMap<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private NatStatus autonat = NatStatus.UNKNOWN;
    private Reachability current = Reachability.UNKNOWN;

    public ReachabilityObserver(ReachabilityClassifier classifier, LongSupplier nanoTime, long maxAgeNanos,
            int maxObservations) {
        this.classifier = classifier;
        this.nanoTime = nanoTime;
        this.maxAgeNanos = maxAgeNanos;
        this.maxObservations = maxObservations;
    }

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    /** Forgets the observations of every connection of {@code host} that closes. */
    public void attach(Host host) {
        host.addListener(new HostListener() {
            @Override
            public void connectionClosed(Connection connection) {
                closed(connection);
            }
        });
    }

    /** {@code connection} is closed: what was observed on it is dropped. */
    public void closed(Connection connection) {
        if (!usable(connection.localAddress()) || !usable(connection.remoteAddress())) {
            return;
        }
        closed(connection.remotePeer().toString(), connection.localAddress().toTcpSocketAddress(),
                connection.remoteAddress().toTcpSocketAddress());
    }

    /** The connection of {@code observer} from {@code local} to {@code remote} is closed. */
    public void closed(String observer, InetSocketAddress local, InetSocketAddress remote) {
        String key = observer + "|" + local;
        update(() -> {
            Observation o = observations.get(key);
            if (o != null && o.remote().equals(remote)) {
                observations.remove(key);
            }
        });
    }

    /** Feeds every identify result of {@code identify} into this observer. */
    public void attach(IdentifyService identify) {
        identify.addListener(this::identified);
    }

    public synchronized Reachability current() {
        return current;
    }

    /** An identify result on {@code connection}; ignored without a usable observed TCP address. */
    public void identified(Connection connection, IdentifyInfo info) {
        if (info.observedAddress().isEmpty() || !usable(info.observedAddress().get())
                || !usable(connection.localAddress()) || !usable(connection.remoteAddress())) {
            return;
        }
        observe(new Observation(connection.remotePeer().toString(),
                connection.localAddress().toTcpSocketAddress(), connection.remoteAddress().toTcpSocketAddress(),
                info.observedAddress().get().toTcpSocketAddress(),
                connection.direction() == Connection.Direction.OUTBOUND, nanoTime.getAsLong()));
    }

    private static boolean usable(Multiaddr a) {
        return a.isTcp() && !a.isCircuit() && !a.toTcpSocketAddress().isUnresolved();
    }

    public void observe(Observation o) {
        update(() -> {
            String key = o.observer() + "|" + o.local();
            observations.remove(key);
            observations.put(key, o);
            while (observations.size() > maxObservations) {
                observations.remove(observations.keySet().iterator().next());
            }
        });
    }

    public void autonat(NatStatus status) {
        update(() -> autonat = status);
    }

    /** Drops observations past their age (call now and then; the others call it too). */
    public void expire() {
        update(() -> { });
    }

    private void update(Runnable change) {
        Reachability before;
        Reachability after;
        synchronized (this) {
            change.run();
            long now = nanoTime.getAsLong();
            observations.values().removeIf(o -> now - o.atNanos() > maxAgeNanos);
            before = current;
            after = classifier.classify(autonat, new ArrayList<>(observations.values()));
            current = after;
        }
        if (before != after) {
            LOG.info("reachability changed from {} to {}", before, after);
            for (Listener l : listeners) {
                l.changed(before, after);
            }
        }
    }

    /** The external addresses peers saw on our outbound connections, most recent last (DCUtR's candidates). */
    public synchronized List<InetSocketAddress> observedAddresses() {
        List<InetSocketAddress> out = new ArrayList<>();
        for (Observation o : observations.values()) {
            out.remove(o.observed());
            out.add(o.observed());
        }
        return out;
    }
}
