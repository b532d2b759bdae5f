package dev.edgelink.lab;

/**
 * An injected fault (a drop rule, random loss, a rate limit) that can be removed again. Removal is idempotent;
 * whatever is still in place at teardown is removed then.
 */
public final class Fault implements AutoCloseable {
    private final String description;
    private final Runnable remover;
    private boolean removed;

    Fault(String description, Runnable remover) {
        this.description = description;
        this.remover = remover;
    }

    /** What this fault does, where. */
    public String description() {
        return description;
    }

    /** Whether it is still in place. */
    public synchronized boolean active() {
        return !removed;
    }

    /** Takes the fault out again (the link heals). */
    public synchronized void remove() {
        if (!removed) {
            removed = true;
            remover.run();
        }
    }

    @Override
    public void close() {
        remove();
    }

    @Override
    public String toString() {
        return description + (removed ? " (removed)" : "");
    }
}
