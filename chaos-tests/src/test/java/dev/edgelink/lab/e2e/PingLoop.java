package dev.edgelink.lab.e2e;

import dev.edgelink.lab.Lab;
import dev.edgelink.lab.LabProcess;
import dev.edgelink.lab.Pod;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code ping -i INTERVAL} from inside a pod, running while something else happens; counts what got lost. */
final class PingLoop {
    private static final Pattern SUMMARY = Pattern.compile("(\\d+) packets transmitted, (\\d+) (packets )?received");
    private static final Pattern SEQ = Pattern.compile("icmp_seq=(\\d+)");
    private final LabProcess process;

    private PingLoop(LabProcess process) {
        this.process = process;
    }

    /**
     * Starts {@code ping -c count -i interval ip} in {@code pod}'s network namespace (iputils' ping entered with
     * nsenter, a recorded lab process: podman exec must not run under ip netns exec).
     */
    static PingLoop start(Lab lab, Pod pod, String ip, double interval, int count) {
        List<String> argv = List.of("nsenter", "--net=" + pod.netnsPath(), "ping", "-n", "-c",
                Integer.toString(count), "-i", Double.toString(interval), "-W", "1", ip);
        return new PingLoop(lab.spawn(pod.node().netns(), "pingloop-" + pod.node().name(),
                argv.toArray(String[]::new)));
    }

    /** Echo replies seen so far. */
    long sent() {
        return process.stdout().lines().filter(l -> l.contains("icmp_seq=")).count();
    }

    /**
     * The longest stretch without an answer so far, in seconds: the largest step between the icmp_seq numbers of
     * consecutive answers (and from the start and to the last one sent), times {@code interval}.
     */
    double longestGap(double interval) {
        long last = 0;
        long worst = 0;
        Matcher m = SEQ.matcher(process.stdout());
        while (m.find()) {
            long seq = Long.parseLong(m.group(1));
            worst = Math.max(worst, seq - last);
            last = seq;
        }
        return worst * interval;
    }

    /** Ends the loop now (its answers so far stay readable). */
    void stop() {
        process.kill();
    }

    /** Waits for the loop's end and returns its counts. */
    Result finish() {
        process.awaitExit(Duration.ofSeconds(60));
        Matcher m = SUMMARY.matcher(process.stdout());
        if (!m.find()) {
            throw new AssertionError("no ping summary: " + process.stdout() + process.stderr());
        }
        return new Result(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    record Result(int transmitted, int received) {
        int lost() {
            return transmitted - received;
        }

        @Override
        public String toString() {
            return transmitted + " sent, " + received + " answered, " + lost() + " lost";
        }
    }
}
