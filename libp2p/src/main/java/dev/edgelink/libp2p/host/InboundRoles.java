package dev.edgelink.libp2p.host;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * Remote socket addresses whose inbound connections we upgrade as the initiator, each entry until it is closed
 * or its deadline passes. A hole punch needs this when the peer's punch dial (made in the responder role) reaches
 * our listening socket instead of meeting our own dial: an accepted socket would otherwise wait as responder too.
 * Entries are few and short-lived (one per running DCUtR round), so a list scanned per accept is enough.
 */
final class InboundRoles {

    private final List<Entry> entries = new CopyOnWriteArrayList<>();
    private final LongSupplier nanoTime;

    InboundRoles(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /** One registration; closing it ends it before its deadline. */
    private final class Entry implements Host.Registration {
        private final List<InetSocketAddress> remotes;
        private final long deadlineNanos;

        Entry(List<InetSocketAddress> remotes, long deadlineNanos) {
            this.remotes = remotes;
            this.deadlineNanos = deadlineNanos;
        }

        @Override
        public void close() {
            entries.remove(this);
        }
    }

    Host.Registration lead(Collection<InetSocketAddress> remotes, Duration window) {
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("the window must be positive: " + window);
        }
        for (InetSocketAddress r : remotes) {
            if (r.isUnresolved() || r.getPort() == 0) {
                throw new IllegalArgumentException("not a resolved socket address with a port: " + r);
            }
        }
        Entry entry = new Entry(List.copyOf(remotes), nanoTime.getAsLong() + window.toNanos());
        entries.removeIf(e -> e.deadlineNanos - nanoTime.getAsLong() <= 0);
        entries.add(entry);
        return entry;
    }

    /** Whether an inbound connection from {@code remote}, accepted now, is upgraded with us leading. */
    boolean leads(InetSocketAddress remote) {
        if (remote == null || entries.isEmpty()) {
            return false;
        }
        long now = nanoTime.getAsLong();
        for (Entry e : entries) {
            if (e.deadlineNanos - now > 0 && e.remotes.contains(remote)) {
                return true;
            }
        }
        return false;
    }
}
