package dev.edgelink.cni.server;

import dev.edgelink.cni.CniRequest;
import dev.edgelink.cni.CniResult;
import dev.edgelink.cni.CniService;
import dev.edgelink.cni.internal.Addresses;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/** A {@link CniService} that records requests and answers what a test tells it to. */
public final class FakeCniService implements CniService {
    public final List<CniRequest> calls = new CopyOnWriteArrayList<>();
    public volatile RuntimeException failure;
    public volatile CountDownLatch block;

    public static CniResult result(String version, String netns) {
        return new CniResult(version, List.of(new CniResult.Interface("elk0123456789a", "02:00:00:00:00:01", 1400,
                null, null, null), new CniResult.Interface("eth0", "02:00:00:00:00:02", 1400, netns, null, null)),
                List.of(new CniResult.IpConfig(Addresses.parsePrefix("10.244.1.2/32"), Addresses.parse("10.244.1.1"),
                        1)),
                List.of(CniResult.RouteEntry.of(Addresses.parsePrefix("0.0.0.0/0"), Addresses.parse("10.244.1.1"))),
                null);
    }

    private void enter(CniRequest r) {
        calls.add(r);
        CountDownLatch b = block;
        if (b != null) {
            try {
                b.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public CniResult add(CniRequest r) {
        enter(r);
        return result(r.config().cniVersion(), r.netns());
    }

    @Override
    public void del(CniRequest r) {
        enter(r);
    }

    @Override
    public void check(CniRequest r) {
        enter(r);
    }

    @Override
    public void status(CniRequest r) {
        enter(r);
    }

    @Override
    public void gc(CniRequest r) {
        enter(r);
    }

}
