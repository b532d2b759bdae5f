package dev.edgelink.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A WAN on a segment: every IPv4 packet its bridge forwards is held for an exact one-way delay, and a share of
 * them is dropped at random. This kernel has no netem and nft's {@code queue} expression is not built, so an
 * iptables-nft rule ({@code -A FORWARD -j NFQUEUE}) hands the packets to {@code wan-delay}, a small C program
 * ({@code src/main/c/wan-delay.c}, built with gcc at first use by {@link WanProgram}) that gives each packet its
 * verdict when it is due.
 *
 * <p><b>Where the delay is applied.</b> In the segment's own namespace, on the frames its bridge forwards:
 * {@code bridge-nf-call-iptables} is turned on there (and only there; every other lab namespace keeps it off) so
 * that br_netfilter passes bridged IPv4 through the IP FORWARD hook. A packet between two endpoints of the segment
 * is forwarded by the bridge exactly once, so it is delayed once per crossing of the "internet" whatever the
 * endpoints are: a-n1 to b-rtr's public address, a-n1 to b-n1 through both NATs, a site to the cloud or to relay2
 * all get the delay once each way (20 ms one way gives a 40 ms RTT). Rules on the routers' WAN ports instead would
 * need a program per endpoint (cloud and relay2 included), a direction choice so that a crossing is not delayed
 * twice, and an edit of the routers' rulesets, which {@link Router#natMode} replaces atomically; a node attached to
 * the segment later would be missed. ARP is not queued ({@code bridge-nf-call-arptables} stays off): neighbours
 * resolve at once, as there is no ARP across a real WAN.
 *
 * <p><b>Offloads.</b> Veths pass 64 KiB GSO aggregates between namespaces, so a "1 % loss" would drop 1 % of
 * aggregates and favour whoever sends big segments. {@code ethtool -K DEV tso off gso off gro off} is set on both
 * ends of every link of the segment (the endpoints' interfaces and the bridge ports), also for links attached while
 * the WAN is in place, so the WAN carries MTU-sized packets. The queue is also configured without GSO, so the
 * kernel would split any aggregate before queueing it. Offloads stay off after {@link #remove()} (until teardown).
 *
 * <p><b>When the program dies.</b> The rule has no {@code --queue-bypass} and the queue no fail-open: with no
 * program bound, everything that crosses the segment is dropped, so a dead WAN makes a test's traffic fail instead of
 * flowing undelayed and letting it pass. {@link #counters()} and {@link #setLoss} fail at once naming the dead
 * program with its log, and so does {@link #remove()} (also at teardown), after removing the rule, so the blackhole
 * never outlives the WAN. The program is a lab process (PID recorded, killed by PID at teardown even when the test
 * fails); the rule is listed by {@link Lab#leftovers()} while it exists.
 *
 * <pre>{@code
 * try (Wan wan = sites.inet().wan(Duration.ofMillis(20), 1.0)) {
 *     ... // 40 ms RTT between the sites, 1 % of the packets lost on each crossing
 *     Wan.Counters c = wan.counters();
 * }
 * }</pre>
 */
public final class Wan implements AutoCloseable {
    /** Packets held at most (20 ms of 3 million packets/s); one more is dropped and counted as overflow. */
    public static final int RING_PACKETS = 65536;
    /**
     * The program runs under SCHED_FIFO at this priority: the kernel forwards the released packets in its system
     * call, and in the ordinary class a busy machine made releases up to 108 ms late (a few ms with it).
     */
    static final int FIFO_PRIORITY = 1;
    /** How often the program logs its counters by itself (besides when asked). */
    static final Duration REPORT_PERIOD = Duration.ofSeconds(5);
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(5);
    private static final Pattern REPORT = Pattern.compile("^wan-delay: report=(\\d+) reason=(\\w+) (.*)$",
            Pattern.MULTILINE);
    private static final Pattern EXIT = Pattern.compile("^wan-delay: exit reason=sigterm", Pattern.MULTILINE);

    private final Lab lab;
    private final Segment segment;
    private final Duration delay;
    private final int queue;
    private final Path lossFile;
    private LabProcess process;
    private double lossPercent;
    private boolean bridgeNf;
    private boolean ruleInstalled;
    private boolean removed;
    private Counters last;

    /**
     * What the program did so far.
     *
     * @param held packets put in the ring (each accepted after the delay)
     * @param released packets accepted so far
     * @param lost packets dropped by the random loss
     * @param overflow packets dropped because {@link #RING_PACKETS} were held
     * @param kernelDropped packets the kernel dropped before the program saw them (its queue or the socket full)
     * @param verdictErrors verdicts the kernel refused
     * @param lateMax the longest a packet waited past its due time (the program's scheduling error)
     * @param lateAverage the average of that
     * @param lossPercent the loss in force
     */
    public record Counters(long held, long released, long lost, long overflow, long kernelDropped,
            long verdictErrors, Duration lateMax, Duration lateAverage, double lossPercent) {
        /** Every packet the program got: held, lost or overflow. */
        public long seen() {
            return held + lost + overflow;
        }

        /** The share of {@link #seen()} lost at random, in percent (0 before the first packet). */
        public double lostPercent() {
            return seen() == 0 ? 0 : 100.0 * lost / seen();
        }
    }

    Wan(Lab lab, Segment segment, Duration delay, double lossPercent, int queue) {
        this.lab = lab;
        this.segment = segment;
        this.delay = delay;
        this.lossPercent = lossPercent;
        this.queue = queue;
        this.lossFile = lab.dir().resolve("wan-" + segment.name() + ".loss");
    }

    /** Starts the program, then turns offloads off, then queues the bridge's traffic; undone if a step fails. */
    synchronized Wan start(long seed) {
        try {
            writeLossFile(lossPercent);
            process = lab.spawn(segment.netns(), "wan-" + segment.name(), WanProgram.binary(lab).toString(),
                    "-q", Integer.toString(queue), "-d", delay.toNanos() / 1000 + "us", "-l", percent(lossPercent),
                    "-s", Long.toString(seed), "-r", Integer.toString(RING_PACKETS), "-i",
                    Long.toString(REPORT_PERIOD.toMillis()), "-c", lossFile.toString(), "-f",
                    Integer.toString(FIFO_PRIORITY));
            process.awaitOutput("^wan-delay: ready ", ANSWER_TIMEOUT);
            for (Link link : segment.links()) {
                offloadsOff(link);
            }
            bridgeNf = true;
            ExecResult on = lab.exec(segment.netns(), "sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=1");
            if (!on.ok()) {
                throw new LabException("cannot pass bridged IPv4 to iptables in " + segment
                        + " (is br_netfilter loaded? modprobe br_netfilter): " + on.describe());
            }
            lab.exec(segment.netns(), rule("-A")).check();
            ruleInstalled = true;
            return this;
        } catch (RuntimeException e) {
            try {
                remove();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** The segment whose bridge this WAN is on. */
    public Segment segment() {
        return segment;
    }

    /** The one-way delay of every crossing. */
    public Duration delay() {
        return delay;
    }

    /** The NFQUEUE number of the rule (queues are per namespace). */
    public int queue() {
        return queue;
    }

    /** The program's process (its log: {@code logs/wan-<segment>.out}). */
    public synchronized LabProcess process() {
        return process;
    }

    /** The share of packets dropped on each crossing, in percent. */
    public synchronized double lossPercent() {
        return lossPercent;
    }

    /** Whether it is still in place. */
    public synchronized boolean active() {
        return !removed;
    }

    /**
     * Asks the program for its counters (SIGUSR1) and waits for its answer; after {@link #remove()}, the last ones
     * it printed. Fails if the program is not running.
     */
    public synchronized Counters counters() {
        if (removed) {
            if (last == null) {
                throw new IllegalStateException(this + " was removed before it printed its counters");
            }
            return last;
        }
        return ask("USR1", "signal");
    }

    /** Changes the random loss ({@code 0..100}, fractions allowed) without touching what is held. */
    public synchronized Wan setLoss(double percent) {
        checkLoss(percent);
        if (removed) {
            throw new IllegalStateException(this + " is removed");
        }
        writeLossFile(percent);
        Counters c = ask("HUP", "hup");
        if (Math.abs(c.lossPercent() - percent) > 0.0005) {
            throw new LabException(this + ": asked for " + percent + " % loss, the program has " + c.lossPercent()
                    + " %" + process.tails());
        }
        lossPercent = percent;
        return this;
    }

    /**
     * Takes the WAN out (idempotent): deletes the rule (and iptables' table if nothing else is in it), turns
     * {@code bridge-nf-call-iptables} off again, then stops the program, which accepts what it still holds and
     * prints its last counters. Fails after all of that if the program had died on its own before.
     */
    public synchronized void remove() {
        if (removed) {
            return;
        }
        removed = true;
        List<String> errors = new ArrayList<>();
        String ns = segment.netns();
        if (Namespaces.exists(ns)) {
            if (ruleInstalled) {
                step(errors, () -> lab.exec(ns, rule("-D")).check());
                ruleInstalled = false;
            }
            if (bridgeNf) {
                step(errors, this::dropFilterTableIfEmpty);
                step(errors, () -> lab.exec(ns, "sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=0")
                        .check());
            }
        }
        if (process != null) {
            boolean diedBefore = !process.alive();
            long kernelDropped = diedBefore ? 0 : kernelDropped();
            process.stop(Duration.ofSeconds(3));
            last = lastReport(kernelDropped);
            if (diedBefore || !EXIT.matcher(process.stdout()).find()) {
                errors.add(deathNotice());
            }
        }
        segment.wanRemoved(this);
        if (!errors.isEmpty()) {
            throw new LabException(this + " removal: " + String.join("; ", errors));
        }
    }

    @Override
    public void close() {
        remove();
    }

    /** Turns TSO, GSO and GRO off on both ends of {@code link}, so that the WAN sees MTU-sized packets. */
    void offloadsOff(Link link) {
        lab.exec(link.node().netns(), "ethtool", "-K", link.iface(), "tso", "off", "gso", "off", "gro", "off")
                .check();
        lab.exec(segment.netns(), "ethtool", "-K", link.port(), "tso", "off", "gso", "off", "gro", "off").check();
    }

    /** iptables-nft's table holds nothing but our rule: it goes with it (the namespace had no table before). */
    private void dropFilterTableIfEmpty() {
        String ns = segment.netns();
        boolean table = lab.exec(ns, "nft", "list", "tables").check().stdout().contains("table ip filter");
        if (table && !lab.exec(ns, "iptables-nft", "-w", "-S").check().stdout().contains("-A ")) {
            lab.exec(ns, "nft", "delete", "table", "ip", "filter").check();
        }
    }

    /** {@code iptables-nft -w <op> FORWARD -j NFQUEUE --queue-num N} (what {@link Lab#leftovers()} looks for). */
    private String[] rule(String op) {
        return new String[] {"iptables-nft", "-w", op, "FORWARD", "-j", "NFQUEUE", "--queue-num",
            Integer.toString(queue)};
    }

    private Counters ask(String signal, String reason) {
        if (!process.alive()) {
            throw new LabException(deathNotice());
        }
        long before = lastReportNumber();
        Commands.run(List.of("kill", "-" + signal, Long.toString(process.pid()))).check();
        Counters c = Wait.forValue(this + " answering SIG" + signal, ANSWER_TIMEOUT, () -> {
            if (!process.alive()) {
                throw new LabException(deathNotice());
            }
            Matcher m = REPORT.matcher(process.stdout());
            String found = null;
            while (m.find()) {
                if (Long.parseLong(m.group(1)) > before && m.group(2).equals(reason)) {
                    found = m.group(3);
                }
            }
            return found == null ? null : parse(found, kernelDropped());
        });
        last = c;
        return c;
    }

    private long lastReportNumber() {
        Matcher m = REPORT.matcher(process.stdout());
        long n = 0;
        while (m.find()) {
            n = Long.parseLong(m.group(1));
        }
        return n;
    }

    private Counters lastReport(long kernelDropped) {
        Matcher m = REPORT.matcher(process.stdout());
        String fields = null;
        while (m.find()) {
            fields = m.group(3);
        }
        return fields == null ? last : parse(fields, kernelDropped);
    }

    private static Counters parse(String fields, long kernelDropped) {
        Map<String, String> f = new TreeMap<>();
        for (String kv : fields.trim().split("\\s+")) {
            int eq = kv.indexOf('=');
            f.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return new Counters(num(f, "held"), num(f, "released"), num(f, "lost"), num(f, "overflow"),
                kernelDropped, num(f, "verdict_errors"),
                Duration.ofNanos(num(f, "late_max_us") * 1000), Duration.ofNanos(num(f, "late_avg_us") * 1000),
                Double.parseDouble(f.get("loss_pct")));
    }

    private static long num(Map<String, String> fields, String key) {
        String v = fields.get(key);
        if (v == null) {
            throw new LabException("wan-delay report without " + key + ": " + fields);
        }
        return Long.parseLong(v);
    }

    /**
     * What the kernel dropped for our queue ({@code /proc/net/netfilter/nfnetlink_queue}, per namespace: queue,
     * peer port id, waiting, copy mode, copy range, dropped because the queue was full, dropped because the socket
     * was full, last id, 1).
     */
    private long kernelDropped() {
        if (!Namespaces.exists(segment.netns())) {
            return 0;
        }
        ExecResult r = lab.exec(segment.netns(), "cat", "/proc/net/netfilter/nfnetlink_queue");
        for (String line : r.stdout().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 7 && f[0].equals(Integer.toString(queue))) {
                return Long.parseLong(f[5]) + Long.parseLong(f[6]);
            }
        }
        return 0;
    }

    private String deathNotice() {
        return "the WAN delayer " + process + " on " + segment + " is not running (exit code "
                + process.exitCode().map(String::valueOf).orElse("none") + "); everything crossing the segment is "
                + "dropped while the rule is in place" + process.tails();
    }

    private void writeLossFile(double percent) {
        try {
            Path tmp = lossFile.resolveSibling(lossFile.getFileName() + ".tmp");
            Files.writeString(tmp, percent(percent) + "\n");
            Files.move(tmp, lossFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new LabException("cannot write " + lossFile, e);
        }
    }

    static void checkLoss(double percent) {
        if (!(percent >= 0 && percent <= 100)) {
            throw new IllegalArgumentException("loss percent must be 0..100: " + percent);
        }
    }

    private static String percent(double p) {
        return String.format(Locale.ROOT, "%.3f", p);
    }

    private static void step(List<String> errors, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            errors.add(e.getMessage());
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "WAN on segment %s (%d us one way, %.3f %% loss)", segment.name(),
                delay.toNanos() / 1000, lossPercent);
    }
}
