package dev.edgelink.lab.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The agent's {@code nft} calls, as a wrapper on its {@code PATH} logs them: the wall time each one started and its
 * arguments, one line each, before it {@code exec}s the real nft in its own place (same PID, same stdin and stdout,
 * so a call the agent kills is killed for real, and nothing outlives it). The wrapper adds a bash start to every call
 * (a millisecond or two of CPU in the agent's children, not in the agent).
 *
 * <p>Why: the data plane reads its per-peer counters with {@code nft -j list table ip edgelink_peers} at the end of
 * every round, so these calls mark the rounds the agent does not count itself (see {@link #roundEnds}), and they show
 * the nft calls per second and the gaps a stalled call leaves.
 */
final class NftCallLog {
    /** The list call that ends each data plane round (PeerCounters.read). */
    static final String ROUND_READ = "list table ip edgelink_peers";

    /** One call: when it started (seconds since the epoch) and its arguments joined by spaces. */
    record Call(double epochSeconds, String args) {
        boolean read() {
            return args.contains(ROUND_READ);
        }

        boolean apply() {
            return args.startsWith("-f");
        }
    }

    private NftCallLog() {
    }

    /** The wrapper script that logs to {@code log} and then runs {@code realNft}. */
    static String wrapper(Path log, Path realNft) {
        return "#!/bin/bash\n"
                + "# edgelink bench-scale: logs the start time and arguments of each nft call, then becomes nft\n"
                + "printf '%s %s\\n' \"$EPOCHREALTIME\" \"$*\" >> '" + log + "'\n"
                + "exec '" + realNft + "' \"$@\"\n";
    }

    /** Writes the wrapper as {@code dir/nft} (0755), logging to {@code log}; returns {@code dir}, for the PATH. */
    static Path install(Path dir, Path log) throws IOException {
        Path real = realNft().orElseThrow(() -> new IOException("no nft on PATH (scripts/setup.sh installs it)"));
        Files.createDirectories(dir);
        Path nft = dir.resolve("nft");
        Files.writeString(nft, wrapper(log, real), StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(nft, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(log, "", StandardCharsets.UTF_8);
        return dir;
    }

    /** The nft the agent would run without the wrapper: the first on this JVM's PATH. */
    static Optional<Path> realNft() {
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String d : path.split(File.pathSeparator)) {
            Path p = Path.of(d.isEmpty() ? "." : d, "nft");
            if (Files.isExecutable(p)) {
                return Optional.of(p.toAbsolutePath());
            }
        }
        return Optional.empty();
    }

    /** The calls in the log's text; a line that is not "SECONDS ARGS" (a torn last line) is skipped. */
    static List<Call> parse(String text) {
        List<Call> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            int sp = line.indexOf(' ');
            if (sp <= 0) {
                continue;
            }
            try {
                out.add(new Call(Double.parseDouble(line.substring(0, sp)), line.substring(sp + 1).strip()));
            } catch (NumberFormatException e) {
                // a line cut by a concurrent read: the next read has it whole
            }
        }
        return out;
    }

    /**
     * The end of every data plane round, as the counters' read marks it. A round ends with one read; when the table
     * did not match, the round applies it again in the same place: read, read (of the counters present), {@code -f},
     * read. Such a sequence is one round. (A round whose second read failed shows as two reads and counts twice; the
     * table's reads fail alike, so that needs a read that worked and one that did not, back to back.)
     */
    static List<Double> roundEnds(List<Call> calls) {
        List<Double> out = new ArrayList<>();
        int i = 0;
        while (i < calls.size()) {
            Call c = calls.get(i);
            i++;
            if (!c.read()) {
                continue;
            }
            out.add(c.epochSeconds());
            if (i + 1 < calls.size() && calls.get(i).read() && calls.get(i + 1).apply()) {
                i += 2;
                if (i < calls.size() && calls.get(i).read()) {
                    i++;
                }
            }
        }
        return out;
    }
}
