package dev.edgelink.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The WAN on the sites' "internet" segment: exact one-way delay once per crossing, random loss, TCP across it,
 * MTU-sized packets, and nothing left once it is removed, also when its program died.
 */
@Tag("lab")
@ExtendWith(LabExtension.class)
@Timeout(120)
class WanLabTest {
    private static final Duration ONE_WAY = Duration.ofMillis(20);
    /** A fixed seed: the same packets are lost in every run, so the loss bounds below can be loose and firm. */
    private static final long SEED = 20261201;
    private static final Pattern PING = Pattern.compile("(\\d+) packets transmitted, (\\d+) received");
    private static final Pattern RTT = Pattern.compile("= ([\\d.]+)/([\\d.]+)/([\\d.]+)/");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyCrossingOfTheInternetIsDelayedOnceEachWay(Lab lab) {
        Topologies.Sites s = Topologies.sites(lab, NatMode.PRESERVE, NatMode.PRESERVE);
        Wan wan = s.inet().wan(ONE_WAY, 0);

        Pings toSiteB = ping(s.a1(), s.routerB().address(s.inet()), 20, "0.05");
        Pings toCloud = ping(s.a1(), s.cloud().address(), 20, "0.05");
        Pings routers = ping(s.routerA(), s.routerB().address(s.inet()), 20, "0.05");
        Pings sameSite = ping(s.a1(), s.a2().address(), 5, "0.05");
        double[] bothNats = udpEchoThroughBothNats(s, 20);
        System.out.printf(Locale.ROOT, "WAN %d ms one way: RTT ms (min/avg/max) a-n1 -> b-rtr public %s, "
                + "a-n1 -> cloud %s, a-rtr -> b-rtr %s, a-n1 -> a-n2 (same site) %s; UDP a-n1 -> b-n1 through both "
                + "NATs %.2f/%.2f/%.2f%n", ONE_WAY.toMillis(), toSiteB, toCloud, routers, sameSite, bothNats[0],
                bothNats[1], bothNats[2]);

        for (Pings p : List.of(toSiteB, toCloud, routers)) {
            assertEquals(p.sent(), p.received(), "no loss configured: " + p);
            assertTrue(p.min() >= 40.0, "the delay is a floor, once each way: " + p);
            assertTrue(p.avg() <= 55.0, "and not applied twice: " + p);
        }
        assertTrue(bothNats[0] >= 40.0 && bothNats[1] <= 55.0, "through both NATs, still one crossing each way: "
                + bothNats[1]);
        assertTrue(sameSite.max() < 10.0, "a site's LAN does not cross the WAN: " + sameSite);

        Wan.Counters c = wan.counters();
        System.out.println("counters: " + c);
        assertEquals(0, c.lost() + c.overflow() + c.kernelDropped() + c.verdictErrors(), c.toString());
        assertTrue(c.held() >= 3 * 20 * 2 + 20 * 2, "every ping and reply, every UDP probe and echo crossed: " + c);
    }

    @Test
    void tenPercentLossDropsAboutThatShareOfPacketsOnEachCrossing(Lab lab) {
        Topologies.Sites s = Topologies.sites(lab, NatMode.PRESERVE, NatMode.PRESERVE);
        Wan wan = s.inet().wan(ONE_WAY, 10, SEED);

        Pings lossy = ping(s.a1(), s.cloud().address(), 200, "0.01");
        Wan.Counters c = wan.counters();
        System.out.printf(Locale.ROOT, "10 %% loss per crossing: %d of %d pings lost (%.1f %%; 19 %% expected: "
                + "request or reply); the program dropped %d of %d packets (%.1f %%)%n", lossy.sent()
                - lossy.received(), lossy.sent(), lossy.lostPercent(), c.lost(), c.seen(), c.lostPercent());
        // 200 pings at p = 0.19: the bounds are more than 3 standard deviations away (and the seed is fixed)
        assertTrue(lossy.lostPercent() >= 8 && lossy.lostPercent() <= 34, lossy.toString());
        assertTrue(c.lostPercent() >= 5 && c.lostPercent() <= 16, c.toString());

        wan.setLoss(0);
        assertEquals(0.0, wan.lossPercent());
        Pings clean = ping(s.a1(), s.cloud().address(), 50, "0.01");
        assertEquals(clean.sent(), clean.received(), "no loss after setLoss(0): " + clean);
        assertEquals(c.lost(), wan.counters().lost(), "the program dropped nothing more");
    }

    @Test
    void oneTcpFlowCrossesTheWanWithOnePercentLoss(Lab lab) {
        Topologies.Sites s = Topologies.sites(lab, NatMode.PRESERVE, NatMode.PRESERVE);
        Wan wan = s.inet().wan(ONE_WAY, 0, SEED);
        double[] clean = iperf(lab, s.a1(), s.cloud(), 5201);
        wan.setLoss(1.0);
        Wan.Counters before = wan.counters();
        double[] lossy = iperf(lab, s.a1(), s.cloud(), 5202);
        Wan.Counters c = wan.counters();
        long lost = c.lost() - before.lost();
        long seen = c.seen() - before.seen();
        System.out.printf(Locale.ROOT, "iperf3 TCP, 1 flow, a-n1 -> cloud across the WAN (40 ms RTT): %.0f Mbit/s "
                + "(%.0f retransmits) without loss, %.0f Mbit/s (%.0f retransmits) with 1 %% loss (%d of %d packets "
                + "dropped); late max %d us, average %d us, kernel drops %d, overflow %d%n", clean[0], clean[1],
                lossy[0], lossy[1], lost, seen, c.lateMax().toNanos() / 1000, c.lateAverage().toNanos() / 1000,
                c.kernelDropped(), c.overflow());
        assertTrue(clean[0] > 1 && lossy[0] > 1, "TCP carries traffic across the WAN");
        assertTrue(lost > 0 && 100.0 * lost / seen >= 0.3 && 100.0 * lost / seen <= 3,
                "about 1 % of the packets dropped: " + lost + " of " + seen);
        assertTrue(lossy[1] > 0, "TCP saw the loss and retransmitted");
    }

    @Test
    void wanFacingInterfacesCarryMtuSizedPackets(Lab lab) {
        Topologies.SitesTwoRelays t = Topologies.sitesTwoRelays(lab, NatMode.PRESERVE, NatMode.PRESERVE);
        Segment inet = t.sites().inet();
        inet.wan(ONE_WAY, 0);
        Node late = lab.node("late");
        late.attach(inet, "198.18.0.9");
        List<String> checked = new ArrayList<>();
        for (Link l : inet.links()) {
            offloadsOff(lab, l.node().netns(), l.iface());
            offloadsOff(lab, inet.netns(), l.port());
            checked.add(l.node().name() + "/" + l.iface() + " + " + inet.name() + "/" + l.port());
        }
        System.out.println("tso, gso and gro off on " + checked);
        assertEquals(5, checked.size(), "a-rtr, b-rtr, cloud, relay2 and a node attached later: " + checked);
        String lan = lab.exec(t.sites().a1().netns(), "ethtool", "-k", "eth0").check().stdout();
        assertTrue(lan.contains("tcp-segmentation-offload: on"), "a LAN keeps its offloads:\n" + lan);
    }

    @Test
    void removingTheWanLeavesNoRuleNoProcessAndAPlainSegment(Lab lab) {
        Topologies.Sites s = Topologies.sites(lab, NatMode.PRESERVE, NatMode.PRESERVE);
        Wan wan = s.inet().wan(ONE_WAY, 0);
        Leftovers.QueueRule rule = new Leftovers.QueueRule(s.inet().netns(), wan.queue());
        LabProcess program = wan.process();
        assertTrue(rule.present());
        assertTrue(lab.leftovers().contains("iptables rule " + rule), "the leftover check knows the rule");
        assertEquals("1", sysctl(lab, s.inet()));
        assertTrue(s.a1().ping(s.cloud().address()));

        wan.remove();
        assertFalse(wan.active());
        assertFalse(rule.present());
        assertFalse(program.alive());
        assertTrue(program.stdout().contains("wan-delay: exit reason=sigterm"), program.stdout());
        assertTrue(wan.counters().held() >= 4, "the last counters stay readable: " + wan.counters());
        List<String> left = lab.leftovers();
        assertTrue(left.stream().noneMatch(l -> l.startsWith("iptables rule") || l.contains("pid " + program.pid())),
                left.toString());
        assertFalse(lab.exec(s.inet().netns(), "nft", "list", "tables").check().stdout().contains("filter"),
                "iptables' table went with the rule");
        assertEquals("0", sysctl(lab, s.inet()));
        assertTrue(s.inet().wan().isEmpty());
        Pings plain = ping(s.a1(), s.cloud().address(), 5, "0.05");
        assertTrue(plain.max() < 10.0, "no delay after removal: " + plain);
        wan.remove();

        try (Wan again = s.inet().wan(Duration.ofMillis(5), 0)) {
            assertTrue(ping(s.a1(), s.cloud().address(), 5, "0.05").min() >= 10.0, "a new WAN on the same segment");
        }
    }

    @Test
    void teardownRemovesAWanLeftInPlace() {
        Lab lab = Lab.open();
        Topologies.Sites s = Topologies.sites(lab, NatMode.PRESERVE, NatMode.PRESERVE);
        Wan wan = s.inet().wan(ONE_WAY, 1.0);
        LabProcess program = wan.process();
        lab.close();
        assertEquals(List.of(), lab.leftovers());
        assertFalse(program.alive());
        assertFalse(wan.active());
        System.out.println("last counters, read at teardown: " + wan.counters());
    }

    @Test
    void aDeadWanProgramFailsLoudlyInsteadOfLettingTrafficThrough(Lab lab) {
        Topologies.Sites s = Topologies.sites(lab, NatMode.PRESERVE, NatMode.PRESERVE);
        Wan wan = s.inet().wan(ONE_WAY, 0);
        assertTrue(s.a1().ping(s.cloud().address()));
        wan.process().kill();
        assertFalse(s.a1().ping(s.cloud().address()), "nothing crosses the segment undelayed");
        LabException asked = assertThrows(LabException.class, wan::counters);
        assertTrue(asked.getMessage().contains("is not running"), asked.getMessage());
        LabException removed = assertThrows(LabException.class, wan::remove);
        assertTrue(removed.getMessage().contains("is not running"), removed.getMessage());
        assertFalse(new Leftovers.QueueRule(s.inet().netns(), wan.queue()).present(), "the rule went anyway");
        assertTrue(s.a1().ping(s.cloud().address()), "the segment is plain again");
        wan.remove();
    }

    // ------------------------------------------------------------------------------------------- helpers

    /** A ping run's summary: counts and RTT in ms (NaN when nothing came back). */
    private record Pings(int sent, int received, double min, double avg, double max) {
        double lostPercent() {
            return 100.0 * (sent - received) / sent;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%.2f/%.2f/%.2f (%d/%d answered)", min, avg, max, received, sent);
        }
    }

    private static Pings ping(Node from, String to, int count, String interval) {
        ExecResult r = from.exec(Duration.ofSeconds(30), "ping", "-n", "-q", "-c", Integer.toString(count), "-i",
                interval, "-W", "1", to);
        Matcher m = PING.matcher(r.stdout());
        assertTrue(m.find(), r.describe());
        Matcher rtt = RTT.matcher(r.stdout());
        boolean any = rtt.find();
        return new Pings(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                any ? Double.parseDouble(rtt.group(1)) : Double.NaN, any ? Double.parseDouble(rtt.group(2))
                : Double.NaN, any ? Double.parseDouble(rtt.group(3)) : Double.NaN);
    }

    /**
     * UDP round trips a-n1 -> b-n1 across both NATs: b-n1 sends first (its NAT then lets a-n1's packets in; a-rtr
     * drops this one), then echoes what comes; both keep port 40001 (port-preserving NATs). Returns min/avg/max ms.
     */
    private static double[] udpEchoThroughBothNats(Topologies.Sites s, int rounds) {
        String siteA = s.routerA().address(s.inet());
        String siteB = s.routerB().address(s.inet());
        LabProcess echo = s.b1().spawn("udp-echo", "python3", "-c", "import socket\n"
                + "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('', 40001))\n"
                + "s.sendto(b'open', ('" + siteA + "', 40001))\nprint('opened', flush=True)\n"
                + "while True:\n    d, a = s.recvfrom(2048)\n    s.sendto(d, a)\n");
        echo.awaitOutput("opened", Duration.ofSeconds(5));
        ExecResult r = s.a1().exec(Duration.ofSeconds(30), "python3", "-c", "import socket, time\n"
                + "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('', 40001))\ns.settimeout(1)\n"
                + "time.sleep(0.1)\nrtts = []\n"
                + "for i in range(" + rounds + "):\n    t = time.monotonic()\n"
                + "    s.sendto(str(i).encode(), ('" + siteB + "', 40001))\n"
                + "    try:\n        while s.recvfrom(2048)[0] != str(i).encode():\n            pass\n"
                + "    except socket.timeout:\n        continue\n"
                + "    rtts.append((time.monotonic() - t) * 1000)\n"
                + "print(min(rtts), sum(rtts) / len(rtts), max(rtts))\n");
        echo.kill();
        String[] f = r.check().stdout().trim().split("\\s+");
        return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])};
    }

    /** One iperf3 TCP flow for 3 s; {Mbit/s received, retransmits}. */
    private static double[] iperf(Lab lab, Node client, Node server, int port) {
        LabProcess s = server.spawn("iperf3-s", "iperf3", "-s", "-1", "-p", Integer.toString(port));
        Wait.until("iperf3 listening on " + server + ":" + port, Duration.ofSeconds(5),
                () -> server.exec("ss", "-Htln", "sport", "= :" + port).stdout().contains(":" + port));
        ExecResult r = client.exec(Duration.ofSeconds(30), "iperf3", "-c", server.address(), "-p",
                Integer.toString(port), "-t", "3", "-J");
        s.stop(Duration.ofSeconds(2));
        try {
            JsonNode j = JSON.readTree(r.check().stdout());
            return new double[] {j.at("/end/sum_received/bits_per_second").asDouble() / 1e6,
                j.at("/end/sum_sent/retransmits").asDouble()};
        } catch (IOException e) {
            throw new LabException("iperf3 printed no JSON: " + r.describe(), e);
        }
    }

    private static void offloadsOff(Lab lab, String netns, String iface) {
        String k = lab.exec(netns, "ethtool", "-k", iface).check().stdout();
        for (String feature : List.of("tcp-segmentation-offload", "generic-segmentation-offload",
                "generic-receive-offload")) {
            assertTrue(k.contains(feature + ": off"), netns + "/" + iface + " " + feature + ":\n" + k);
        }
    }

    private static String sysctl(Lab lab, Segment segment) {
        return lab.exec(segment.netns(), "sysctl", "-n", "net.bridge.bridge-nf-call-iptables").check().stdout()
                .trim();
    }
}
