package dev.edgelink.dataplane.backend;

import java.util.Objects;

/**
 * Yes or no, with the reason in words a person reads in {@code edgelink status}: e.g. "ipip unavailable on this
 * kernel (EOPNOTSUPP)" or "hostgw: peer 10.0.0.2 shares 10.0.0.0/24".
 */
public record Verdict(boolean ok, String reason) {
    public Verdict {
        Objects.requireNonNull(reason, "reason");
    }

    public static Verdict yes(String reason) {
        return new Verdict(true, reason);
    }

    public static Verdict no(String reason) {
        return new Verdict(false, reason);
    }
}
