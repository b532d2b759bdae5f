package dev.edgelink.lab;

import java.time.Duration;
import java.util.List;

/**
 * What a finished command did.
 *
 * @param command the argv that ran (including any {@code ip netns exec} or {@code nsenter} wrapper)
 * @param exitCode its exit code; -1 when it was killed for running past its timeout
 * @param stdout everything it wrote to standard output
 * @param stderr everything it wrote to standard error
 * @param timedOut whether it ran past its timeout and was killed (with its descendants)
 * @param took wall-clock time from start to exit
 */
public record ExecResult(List<String> command, int exitCode, String stdout, String stderr, boolean timedOut,
        Duration took) {

    /** Exit code 0 and no timeout. */
    public boolean ok() {
        return exitCode == 0 && !timedOut;
    }

    /** This result if {@link #ok()}; otherwise a {@link LabException} naming the command and its output. */
    public ExecResult check() {
        if (!ok()) {
            throw new LabException(describe());
        }
        return this;
    }

    /** One line for the command and its outcome, then its output. */
    public String describe() {
        String outcome = timedOut ? "timed out after " + took.toMillis() + " ms and was killed"
                : "exited " + exitCode;
        return String.join(" ", command) + " " + outcome
                + (stdout.isBlank() ? "" : "\n  stdout: " + stdout.strip())
                + (stderr.isBlank() ? "" : "\n  stderr: " + stderr.strip());
    }
}
