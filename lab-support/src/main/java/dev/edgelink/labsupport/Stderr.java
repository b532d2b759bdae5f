package dev.edgelink.labsupport;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** What a piece of code writes to stderr, where the tests' slf4j-simple logs: for tests of a log line. */
public final class Stderr {
    private Stderr() {
    }

    /** Runs {@code body} with {@code System.err} captured (not thread-safe against other writers) and returns it. */
    public static String capture(Runnable body) {
        PrintStream original = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setErr(original);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
