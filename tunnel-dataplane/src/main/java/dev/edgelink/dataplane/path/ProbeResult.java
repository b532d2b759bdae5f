package dev.edgelink.dataplane.path;

import java.util.Objects;

/**
 * What one probe through one path found.
 *
 * @param ok an echo came back
 * @param rttNanos round-trip time when ok, else -1
 * @param detail in words: "echo in 0.21 ms", "no echo from 10.244.3.0:8474 within 300 ms", "send failed: ..."
 */
public record ProbeResult(boolean ok, long rttNanos, String detail) {
    public ProbeResult {
        Objects.requireNonNull(detail, "detail");
    }

    public static ProbeResult success(long rttNanos) {
        return new ProbeResult(true, rttNanos, String.format("echo in %.2f ms", rttNanos / 1e6));
    }

    public static ProbeResult failure(String detail) {
        return new ProbeResult(false, -1, detail);
    }
}
