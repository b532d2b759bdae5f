package dev.edgelink.discovery.internal.trust;

import dev.edgelink.discovery.trust.Fingerprint;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The outcome of signature checks by the fingerprint of the exact bytes checked: bounded, least recently used out
 * first, safe from any thread. Keyed by the fingerprint of the whole envelope, so the same fields with another
 * signature are another entry. Valid only for one fixed set of CAs (its owner's).
 */
public final class SignatureCache {

    private final int capacity;
    private final LinkedHashMap<Fingerprint, Boolean> entries;

    public SignatureCache(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("signature cache capacity must be at least 1, got " + capacity);
        }
        this.capacity = capacity;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Fingerprint, Boolean> eldest) {
                return size() > SignatureCache.this.capacity;
            }
        };
    }

    /** The cached outcome for {@code fingerprint}, or null if it was never checked or has been evicted. */
    public synchronized Boolean get(Fingerprint fingerprint) {
        return entries.get(fingerprint);
    }

    public synchronized void put(Fingerprint fingerprint, boolean valid) {
        entries.put(fingerprint, valid);
    }

    public synchronized int size() {
        return entries.size();
    }

    public int capacity() {
        return capacity;
    }
}
