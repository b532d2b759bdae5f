package dev.edgelink.agent.internal.metrics;

import dev.edgelink.cni.CniCommand;
import dev.edgelink.cni.CniException;
import dev.edgelink.cni.CniResult;
import dev.edgelink.cni.CniRequest;
import dev.edgelink.cni.CniService;
import java.util.Locale;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wraps the agent's {@link CniService}: counts every request by command and outcome, times it, and logs one line
 * per attachment change (ADD and DEL at INFO, failures at WARN).
 */
public final class MeteredCniService implements CniService {
    private static final Logger LOG = LoggerFactory.getLogger(MeteredCniService.class);

    private final CniService inner;
    private final AgentMetrics metrics;
    private final LongSupplier nanoClock;
    private final String node;

    public MeteredCniService(CniService inner, AgentMetrics metrics, LongSupplier nanoClock, String node) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.node = node;
    }

    @Override
    public CniResult add(CniRequest request) {
        return timed(request, () -> inner.add(request));
    }

    @Override
    public void del(CniRequest request) {
        timed(request, () -> {
            inner.del(request);
            return null;
        });
    }

    @Override
    public void check(CniRequest request) {
        timed(request, () -> {
            inner.check(request);
            return null;
        });
    }

    @Override
    public void status(CniRequest request) {
        timed(request, () -> {
            inner.status(request);
            return null;
        });
    }

    @Override
    public void gc(CniRequest request) {
        timed(request, () -> {
            inner.gc(request);
            return null;
        });
    }

    private interface Call<T> {
        T run();
    }

    private <T> T timed(CniRequest request, Call<T> call) {
        String command = request.command().name().toLowerCase(Locale.ROOT);
        long start = nanoClock.getAsLong();
        String result = "ok";
        try {
            T out = call.run();
            if (request.command() == CniCommand.ADD || request.command() == CniCommand.DEL) {
                LOG.info("cni {} done (node={}, container={}, ifname={}, ms={})", command, node,
                        request.containerId(), request.ifname(), millis(start));
            }
            return out;
        } catch (CniException e) {
            result = Integer.toString(e.code());
            LOG.warn("cni {} failed: {} {} (node={}, container={}, code={})", command, e.msg(), e.details(), node,
                    request.containerId(), e.code());
            throw e;
        } catch (RuntimeException e) {
            result = "999";
            throw e;
        } finally {
            metrics.cniServed(command, result, (nanoClock.getAsLong() - start) / 1e9);
        }
    }

    private String millis(long start) {
        return String.format(Locale.ROOT, "%.1f", (nanoClock.getAsLong() - start) / 1e6);
    }
}
