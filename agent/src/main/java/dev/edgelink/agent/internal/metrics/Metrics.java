package dev.edgelink.agent.internal.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * A small metrics registry rendered in the Prometheus text exposition format (version 0.0.4): counters and
 * histograms that the agent updates, and gauges read from a supplier at scrape time. Updates are lock-free; the
 * text is rendered in registration order, each series sorted by its labels, so scrapes are stable and diffable.
 */
public final class Metrics {
    /** Seconds: 1 ms to 10 s, what CNI operations take (a veth in a netns is a few ms, a slow disk 100s of ms). */
    public static final double[] LATENCY_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
        5, 10};

    /** One sample of a gauge family: label values in the family's label order, and the value. */
    public record Sample(List<String> labels, double value) {
    }

    private final List<Family> families = new CopyOnWriteArrayList<>();

    private abstract static class Family {
        final String name;
        final String help;
        final List<String> labelNames;

        Family(String name, String help, List<String> labelNames) {
            this.name = name;
            this.help = help;
            this.labelNames = List.copyOf(labelNames);
        }

        abstract String type();

        abstract void render(StringBuilder out);

        String labels(List<String> values, String extraName, String extraValue) {
            List<String> parts = new ArrayList<>();
            for (int i = 0; i < labelNames.size(); i++) {
                parts.add(labelNames.get(i) + "=\"" + escape(values.get(i)) + "\"");
            }
            if (extraName != null) {
                parts.add(extraName + "=\"" + extraValue + "\"");
            }
            return parts.isEmpty() ? "" : "{" + String.join(",", parts) + "}";
        }

        void check(String... values) {
            if (values.length != labelNames.size()) {
                throw new IllegalArgumentException(name + " has labels " + labelNames + ", got "
                        + Arrays.toString(values));
            }
        }
    }

    /** A monotonically increasing count per label set. */
    public static final class Counter extends Family {
        private final Map<List<String>, LongAdder> values = new ConcurrentSkipListMap<>(Metrics::compare);

        Counter(String name, String help, List<String> labelNames) {
            super(name, help, labelNames);
        }

        public void inc(String... labelValues) {
            add(1, labelValues);
        }

        public void add(long n, String... labelValues) {
            check(labelValues);
            values.computeIfAbsent(List.of(labelValues), k -> new LongAdder()).add(n);
        }

        public long value(String... labelValues) {
            LongAdder a = values.get(List.of(labelValues));
            return a == null ? 0 : a.sum();
        }

        @Override
        String type() {
            return "counter";
        }

        @Override
        void render(StringBuilder out) {
            values.forEach((l, v) -> out.append(name).append(labels(l, null, null)).append(' ').append(v.sum())
                    .append('\n'));
        }
    }

    /** Observations counted into cumulative buckets, with their sum and count, per label set. */
    public static final class Histogram extends Family {
        private final double[] bounds;
        private final Map<List<String>, Series> values = new ConcurrentSkipListMap<>(Metrics::compare);

        private static final class Series {
            final AtomicLong[] buckets;
            final LongAdder count = new LongAdder();
            final DoubleSum sum = new DoubleSum();

            Series(int n) {
                buckets = new AtomicLong[n];
                for (int i = 0; i < n; i++) {
                    buckets[i] = new AtomicLong();
                }
            }
        }

        Histogram(String name, String help, List<String> labelNames, double[] bounds) {
            super(name, help, labelNames);
            this.bounds = bounds.clone();
        }

        public void observe(double value, String... labelValues) {
            check(labelValues);
            Series s = values.computeIfAbsent(List.of(labelValues), k -> new Series(bounds.length));
            for (int i = 0; i < bounds.length; i++) {
                if (value <= bounds[i]) {
                    s.buckets[i].incrementAndGet();
                }
            }
            s.count.increment();
            s.sum.add(value);
        }

        public long count(String... labelValues) {
            Series s = values.get(List.of(labelValues));
            return s == null ? 0 : s.count.sum();
        }

        @Override
        String type() {
            return "histogram";
        }

        @Override
        void render(StringBuilder out) {
            values.forEach((l, s) -> {
                for (int i = 0; i < bounds.length; i++) {
                    out.append(name).append("_bucket").append(labels(l, "le", number(bounds[i]))).append(' ')
                            .append(s.buckets[i].get()).append('\n');
                }
                out.append(name).append("_bucket").append(labels(l, "le", "+Inf")).append(' ').append(s.count.sum())
                        .append('\n');
                out.append(name).append("_sum").append(labels(l, null, null)).append(' ').append(number(s.sum.get()))
                        .append('\n');
                out.append(name).append("_count").append(labels(l, null, null)).append(' ').append(s.count.sum())
                        .append('\n');
            });
        }
    }

    /** A value read when scraped. */
    private static final class Gauge extends Family {
        private final Supplier<List<Sample>> samples;
        private final String type;

        Gauge(String name, String help, List<String> labelNames, Supplier<List<Sample>> samples, String type) {
            super(name, help, labelNames);
            this.samples = samples;
            this.type = type;
        }

        @Override
        String type() {
            return type;
        }

        @Override
        void render(StringBuilder out) {
            List<Sample> list = new ArrayList<>(samples.get());
            list.sort((a, b) -> compare(a.labels(), b.labels()));
            for (Sample s : list) {
                if (s.labels().size() != labelNames.size()) {
                    throw new IllegalStateException(name + ": sample labels " + s.labels() + " for " + labelNames);
                }
                out.append(name).append(labels(s.labels(), null, null)).append(' ').append(number(s.value()))
                        .append('\n');
            }
        }
    }

    /** A double that many threads add to. */
    private static final class DoubleSum {
        private final AtomicLong bits = new AtomicLong(Double.doubleToLongBits(0));

        void add(double v) {
            bits.accumulateAndGet(0, (cur, ignored) -> Double.doubleToLongBits(Double.longBitsToDouble(cur) + v));
        }

        double get() {
            return Double.longBitsToDouble(bits.get());
        }
    }

    public Counter counter(String name, String help, String... labelNames) {
        return register(new Counter(name, help, List.of(labelNames)));
    }

    public Histogram histogram(String name, String help, double[] buckets, String... labelNames) {
        return register(new Histogram(name, help, List.of(labelNames), buckets));
    }

    /** A gauge whose samples are produced at each scrape (each sample's labels in {@code labelNames} order). */
    public void gauge(String name, String help, List<String> labelNames, Supplier<List<Sample>> samples) {
        register(new Gauge(name, help, labelNames, samples, "gauge"));
    }

    /**
     * A counter kept outside the agent (e.g. by the kernel), read at each scrape: typed {@code counter}, so its
     * samples must only grow (a reset shows as a drop, which Prometheus' rate() handles).
     */
    public void counterFunction(String name, String help, List<String> labelNames, Supplier<List<Sample>> samples) {
        register(new Gauge(name, help, labelNames, samples, "counter"));
    }

    private <F extends Family> F register(F family) {
        Objects.requireNonNull(family.help, "help");
        if (!family.name.matches("[a-zA-Z_:][a-zA-Z0-9_:]*")) {
            throw new IllegalArgumentException("invalid metric name " + family.name);
        }
        for (Family f : families) {
            if (f.name.equals(family.name)) {
                throw new IllegalArgumentException("metric " + family.name + " registered twice");
            }
        }
        families.add(family);
        return family;
    }

    /** The whole registry as Prometheus text (content type {@code text/plain; version=0.0.4}). */
    public String render() {
        StringBuilder out = new StringBuilder();
        for (Family f : families) {
            out.append("# HELP ").append(f.name).append(' ').append(f.help.replace("\\", "\\\\").replace("\n", "\\n"))
                    .append('\n');
            out.append("# TYPE ").append(f.name).append(' ').append(f.type()).append('\n');
            f.render(out);
        }
        return out.toString();
    }

    static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** Integers without a fraction, others in Java's shortest round-trip form. */
    static String number(double v) {
        if (v == Math.rint(v) && !Double.isInfinite(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    private static int compare(List<String> a, List<String> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = a.get(i).compareTo(b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }
}
