package dev.edgelink.agent.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as written in the config and on the command line: a whole number and a unit, {@code 500ms}, {@code 2s},
 * {@code 1m}, {@code 1h} (so a year is {@code 8760h}).
 */
public final class Durations {
    static final Duration MAX_PROBE_TIMEOUT = Duration.ofSeconds(10);
    private static final Pattern FORMAT = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

    private Durations() {
    }

    /** A positive duration; {@link ConfigException} naming {@code key} otherwise. */
    public static Duration parse(String key, String text) {
        Matcher m = FORMAT.matcher(text);
        if (!m.matches()) {
            throw new ConfigException(key, "'" + text + "' is not a duration like 500ms, 2s, 1m or 1h");
        }
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
        if (d.isZero()) {
            throw new ConfigException(key, "must be longer than zero");
        }
        return d;
    }

    /** The shortest exact form: {@code 1500ms}, {@code 2s}, {@code 1m}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
