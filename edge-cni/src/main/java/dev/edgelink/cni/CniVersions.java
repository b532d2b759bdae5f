package dev.edgelink.cni;

import java.util.List;

/**
 * The CNI spec versions the plugin speaks. Results follow the version the configuration asked for: before 1.0.0 an
 * IP carries {@code "version"}; the interface and route fields added in 1.1.0 ({@code mtu}, ...) appear only in
 * 1.1.0 results. CHECK needs 0.4.0 or later, STATUS and GC 1.1.0 (as the reference skeleton enforces).
 *
 * <p>The launcher script ({@code src/main/sh/edgelink}) lists the same versions for VERSION; a test keeps the two
 * equal.
 */
public final class CniVersions {
    public static final String CURRENT = "1.1.0";
    public static final List<String> SUPPORTED = List.of("0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0");

    private CniVersions() {
    }

    public static boolean isSupported(String version) {
        return SUPPORTED.contains(version);
    }

    /** Compares two dotted versions numerically ({@code "0.4.0" < "1.0.0"}); non-numeric parts compare as 0. */
    public static int compare(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int d = Integer.compare(part(x, i), part(y, i));
            if (d != 0) {
                return d;
            }
        }
        return 0;
    }

    public static boolean atLeast(String version, String minimum) {
        return compare(version, minimum) >= 0;
    }

    private static int part(String[] parts, int i) {
        if (i >= parts.length) {
            return 0;
        }
        try {
            return Integer.parseInt(parts[i]);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
