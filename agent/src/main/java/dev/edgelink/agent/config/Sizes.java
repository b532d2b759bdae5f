package dev.edgelink.agent.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte sizes in the config: a whole number of bytes, or with a binary unit: {@code 512KiB}, {@code 8MiB}. */
final class Sizes {
    private static final Pattern FORMAT = Pattern.compile("(\\d{1,12})(|KiB|MiB|GiB)");

    private Sizes() {
    }

    /** A size of at least {@code min} bytes; {@link ConfigException} naming {@code key} otherwise. */
    static long parse(String key, String text, long min) {
        Matcher m = FORMAT.matcher(text);
        if (!m.matches()) {
            throw new ConfigException(key, "'" + text + "' is not a size like 1048576, 512KiB, 8MiB or 1GiB");
        }
        long n = Long.parseLong(m.group(1));
        long bytes = switch (m.group(2)) {
            case "KiB" -> n << 10;
            case "MiB" -> n << 20;
            case "GiB" -> n << 30;
            default -> n;
        };
        if (bytes < min) {
            throw new ConfigException(key, text + " is less than the least that works, " + min + " bytes");
        }
        return bytes;
    }
}
