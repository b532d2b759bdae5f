package dev.edgelink.dataplane.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.dataplane.tun.TunDevice;
import dev.edgelink.dataplane.tunnel.TunnelConfig;
import dev.edgelink.dataplane.tunnel.TunnelService;
import dev.edgelink.net.IpPrefix;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The userspace path asks for a connection on the first packet: a packet from the TUN device to a known peer without
 * a tunnel stream tells the demand listener, at most once per peer per {@link TunnelService#DEMAND_INTERVAL}. The
 * device's routes and addresses are made with iproute2; the packets are sent by bash's {@code /dev/udp} inside the
 * namespace. "Not told" is shown with a marker: the listener runs on one thread in the order the reader read the
 * packets, so when the marker peer's name arrives, a name the packets before it would have caused is already there.
 */
@Tag("lab")
class TunnelDemandLabTest {
    private static final long WAIT_SECONDS = 10;

    private static void send(Lab lab, String ns, String to) {
        assertEquals(0, lab.execIn(ns, "bash", "-c", "echo x > /dev/udp/" + to + "/9"), "sent to " + to);
    }

    private static String next(BlockingQueue<String> told) throws InterruptedException {
        return told.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void aPacketForAPeerWithoutAStreamAsksForOneAtMostOncePerPeerPerInterval() throws Exception {
        try (Lab lab = Lab.open("eld")) {
            String ns = lab.namespace("n");
            AtomicLong clock = new AtomicLong(1_000_000_000L);
            BlockingQueue<String> told = new LinkedBlockingQueue<>();
            TunnelConfig config = TunnelConfig.defaults(1400).withDevice("tun0").withOffloads(false);
            try (TunnelService service = TunnelService.start(config, "a", TunDevice.openIn(Lab.path(ns), "tun0",
                    false), clock::get)) {
                lab.ip(ns, "addr", "add", "10.244.1.0/32", "dev", "tun0");
                lab.ip(ns, "link", "set", "tun0", "up");
                lab.ip(ns, "route", "add", "10.244.0.0/16", "dev", "tun0");
                for (String peer : List.of("b", "c", "d")) {
                    int site = peer.charAt(0) - 'a' + 1;
                    service.setPeer(peer, List.of(IpPrefix.parse("10.244." + site + ".0/24")));
                }
                service.setDemandListener(told::add);

                send(lab, ns, "10.244.2.7");
                assertEquals("b", next(told), "b's first packet");

                send(lab, ns, "10.244.2.7");
                send(lab, ns, "10.244.9.9");
                send(lab, ns, "10.244.3.7");
                assertEquals("c", next(told), "not b again at once, and nobody for a destination of no peer");

                clock.addAndGet(TunnelService.DEMAND_INTERVAL.toNanos() - 1);
                send(lab, ns, "10.244.2.7");
                send(lab, ns, "10.244.4.7");
                assertEquals("d", next(told), "not b again 1 ns before the interval is over");

                clock.addAndGet(1);
                send(lab, ns, "10.244.2.7");
                assertEquals("b", next(told), "b again once the interval is over");
                assertTrue(service.noPeerDrops() >= 7, "every packet was dropped and counted as before");
            }
        }
    }

    @Test
    void aPeerWithAStreamNeverAsks() throws Exception {
        try (UserspaceWorld w = UserspaceWorld.start(TunnelConfig.defaults(1400))) {
            BlockingQueue<String> told = new LinkedBlockingQueue<>();
            w.a.service().setDemandListener(told::add);
            w.a.service().setPeer("z", List.of(IpPrefix.parse("10.244.9.0/24")));
            w.lab.ip(w.a.ns, "route", "add", "10.244.9.0/24", "dev", TunnelConfig.DEFAULT_DEVICE);

            assertEquals(0, w.lab.execIn(w.a.podNs, "ping", "-c", "3", "-i", "0.2", "-W", "2", w.b.podAddress));
            send(w.lab, w.a.podNs, "10.244.9.9");

            assertEquals("z", next(told), "z, which has no stream, asks; b, whose stream carried the pings, never");
        }
    }
}
