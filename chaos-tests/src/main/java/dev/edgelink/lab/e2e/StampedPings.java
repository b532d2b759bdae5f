package dev.edgelink.lab.e2e;

import dev.edgelink.lab.Lab;
import dev.edgelink.lab.LabProcess;
import dev.edgelink.lab.Pod;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * iputils {@code ping -D -O -i 0.1} from inside a pod (entered with nsenter; a lab process) that runs until stopped:
 * every answer with its wall-clock time ({@code -D}), every echo that got no answer before the next was sent
 * ({@code -O}). The timings of the across-NAT benchmark are read from it.
 */
final class StampedPings {
    private static final Pattern REPLY = Pattern.compile("^\\[(\\d+\\.\\d+)\\] \\d+ bytes from .*icmp_seq=(\\d+)",
            Pattern.MULTILINE);
    private static final Pattern NO_ANSWER = Pattern.compile("no answer yet for icmp_seq=(\\d+)");
    static final double INTERVAL = 0.1;

    private final LabProcess process;

    /** One answer: its echo sequence number and when it arrived. */
    record Reply(int seq, Instant at) {
    }

    private StampedPings(LabProcess process) {
        this.process = process;
    }

    /** Starts pinging {@code ip} from {@code pod}. */
    static StampedPings start(Lab lab, Pod pod, String ip) {
        return new StampedPings(lab.spawn(pod.node().netns(), "pings-" + pod.node().name(), "nsenter", "--net="
                + pod.netnsPath(), "ping", "-D", "-O", "-n", "-i", Double.toString(INTERVAL), ip));
    }

    /** The answers so far, in arrival order. */
    List<Reply> replies() {
        List<Reply> out = new ArrayList<>();
        Matcher m = REPLY.matcher(process.stdout());
        while (m.find()) {
            BigDecimal s = new BigDecimal(m.group(1));
            long nanos = s.movePointRight(9).longValueExact();
            out.add(new Reply(Integer.parseInt(m.group(2)), Instant.ofEpochSecond(0, nanos)));
        }
        return out;
    }

    /** The sequence numbers ping gave up waiting for, minus those whose answer came late after all. */
    TreeSet<Integer> lost() {
        TreeSet<Integer> out = new TreeSet<>();
        Matcher m = NO_ANSWER.matcher(process.stdout());
        while (m.find()) {
            out.add(Integer.parseInt(m.group(1)));
        }
        replies().forEach(r -> out.remove(r.seq()));
        return out;
    }

    /** The first answer that arrived after {@code t}. */
    Optional<Reply> firstAfter(Instant t) {
        return replies().stream().filter(r -> r.at().isAfter(t)).findFirst();
    }

    /**
     * After a cut at {@code cut}: the first answer to an echo sent after the first echo lost since the cut, and how
     * many were lost up to it; empty while pings are not answered again. A cut that lost nothing gives the first
     * answer after it and 0.
     */
    Optional<Recovery> recoveryAfter(Instant cut) {
        List<Reply> rs = replies();
        int lastBefore = rs.stream().filter(r -> !r.at().isAfter(cut)).mapToInt(Reply::seq).max().orElse(-1);
        TreeSet<Integer> lost = lost();
        Integer firstLost = lost.higher(lastBefore);
        if (firstLost == null) {
            return firstAfter(cut).map(r -> new Recovery(r, 0));
        }
        return rs.stream().filter(r -> r.seq() > firstLost).findFirst()
                .map(r -> new Recovery(r, lost.subSet(firstLost, true, r.seq(), false).size()));
    }

    /** The answer after an outage and how many echoes the outage lost. */
    record Recovery(Reply reply, int lost) {
    }

    /** Stops the loop. */
    void stop() {
        process.stop(Duration.ofSeconds(2));
    }

    @Override
    public String toString() {
        return process.toString();
    }
}
