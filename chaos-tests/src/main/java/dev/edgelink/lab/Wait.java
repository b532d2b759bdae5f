package dev.edgelink.lab;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polling waits with a deadline; a timeout fails with what was awaited. */
public final class Wait {
    private static final Duration POLL = Duration.ofMillis(50);

    private Wait() {
    }

    /** Polls {@code condition} every 50 ms until it holds; fails with {@code what} after {@code timeout}. */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new LabException("timed out after " + timeout + " waiting for " + what);
            }
            Commands.sleep(POLL);
        }
    }

    /** Polls {@code value} until it is non-null and returns it; fails with {@code what} after {@code timeout}. */
    public static <T> T forValue(String what, Duration timeout, Supplier<T> value) {
        return forValue(what, timeout, POLL, value);
    }

    /** As {@link #forValue(String, Duration, Supplier)}, polling every {@code poll} (a costly look: many nodes). */
    public static <T> T forValue(String what, Duration timeout, Duration poll, Supplier<T> value) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            T v = value.get();
            if (v != null) {
                return v;
            }
            if (System.nanoTime() > deadline) {
                throw new LabException("timed out after " + timeout + " waiting for " + what);
            }
            Commands.sleep(poll);
        }
    }
}
