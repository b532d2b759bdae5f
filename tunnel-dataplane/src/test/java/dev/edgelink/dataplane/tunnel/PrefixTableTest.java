package dev.edgelink.dataplane.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.net.IpPrefix;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Longest prefix first, IPv4 and IPv6, changes in place while lookups go on. */
class PrefixTableTest {

    private static String find(PrefixTable<String> t, String address) {
        byte[] a = IpPrefix.literal(address).getAddress();
        ByteBuf b = Unpooled.buffer().writeZero(3).writeBytes(a);
        return t.lookup(b, 3, a.length == 16);
    }

    @Test
    void longestPrefixWins() {
        PrefixTable<String> t = new PrefixTable<>();
        t.put(IpPrefix.parse("10.244.0.0/16"), "wide");
        t.put(IpPrefix.parse("10.244.2.0/24"), "b");
        t.put(IpPrefix.parse("10.244.2.128/25"), "b-half");
        t.put(IpPrefix.parse("fd00:10::/64"), "v6");
        t.put(IpPrefix.parse("fd00:10::1:0/112"), "v6-narrow");
        assertEquals("b", find(t, "10.244.2.5"));
        assertEquals("b-half", find(t, "10.244.2.200"));
        assertEquals("wide", find(t, "10.244.7.1"));
        assertNull(find(t, "10.245.0.1"));
        assertEquals("v6", find(t, "fd00:10::5"));
        assertEquals("v6-narrow", find(t, "fd00:10::1:5"));
        assertNull(find(t, "fd00:11::1"));
    }

    @Test
    void removingAValueRemovesAllItsPrefixes() {
        PrefixTable<String> t = new PrefixTable<>();
        t.put(IpPrefix.parse("10.244.1.0/24"), "a");
        t.put(IpPrefix.parse("10.245.1.0/24"), "a");
        t.put(IpPrefix.parse("10.244.2.0/24"), "b");
        assertEquals(List.of(IpPrefix.parse("10.244.1.0/24"), IpPrefix.parse("10.245.1.0/24")), t.prefixesOf("a"));
        t.removeValue("a");
        assertNull(find(t, "10.244.1.1"));
        assertNull(find(t, "10.245.1.1"));
        assertEquals("b", find(t, "10.244.2.1"));
    }

    @Test
    void defaultRouteMatchesEverything() {
        PrefixTable<String> t = new PrefixTable<>();
        t.put(IpPrefix.parse("0.0.0.0/0"), "any");
        assertEquals("any", find(t, "192.0.2.1"));
    }

    @Test
    void settingAValuesPrefixesChangesOnlyWhatDiffers() {
        PrefixTable<String> t = new PrefixTable<>();
        t.setPrefixes("a", List.of(IpPrefix.parse("10.244.1.0/24"), IpPrefix.parse("10.244.1.0/32")));
        t.setPrefixes("b", List.of(IpPrefix.parse("10.244.2.0/24")));
        assertEquals("a", find(t, "10.244.1.0"));

        t.setPrefixes("a", List.of(IpPrefix.parse("10.244.1.0/24")));
        assertEquals(List.of(IpPrefix.parse("10.244.1.0/24")), t.prefixesOf("a"));
        assertEquals("a", find(t, "10.244.1.0"), "the /24 still holds the address of the removed /32");
        assertEquals("b", find(t, "10.244.2.9"));

        t.setPrefixes("a", List.of());
        assertNull(find(t, "10.244.1.7"));
        assertEquals(List.of(), t.prefixesOf("a"));
        assertEquals("b", find(t, "10.244.2.9"));
    }

    @Test
    void aPrefixPutForAnotherValueMovesToIt() {
        PrefixTable<String> t = new PrefixTable<>();
        t.put(IpPrefix.parse("10.244.1.0/24"), "a");
        t.put(IpPrefix.parse("10.244.1.0/24"), "b");
        assertEquals("b", find(t, "10.244.1.1"));
        assertEquals(List.of(), t.prefixesOf("a"));
        t.removeValue("a");
        assertEquals("b", find(t, "10.244.1.1"), "removing the old owner leaves the new one's prefix");
    }

    @Test
    void removingALongPrefixKeepsTheShorterOneOnItsPath() {
        PrefixTable<String> t = new PrefixTable<>();
        t.put(IpPrefix.parse("fd00:10::/64"), "wide");
        t.put(IpPrefix.parse("fd00:10::1:0/112"), "narrow");
        t.removeValue("narrow");
        assertEquals("wide", find(t, "fd00:10::1:5"));
        t.removeValue("wide");
        assertNull(find(t, "fd00:10::1:5"));
    }

    @Test
    void fiveThousandPeersEachFindTheirOwnAddresses() {
        PrefixTable<String> t = new PrefixTable<>();
        for (int i = 0; i < 5000; i++) {
            t.put(IpPrefix.parse("10." + (i / 256) + "." + (i % 256) + ".0/24"), "peer" + i);
        }
        for (int i = 0; i < 5000; i++) {
            assertEquals("peer" + i, find(t, "10." + (i / 256) + "." + (i % 256) + ".77"));
        }
        assertNull(find(t, "10.200.0.1"));
    }

    @Test
    void aLookupAllocatesNothing() {
        PrefixTable<String> t = new PrefixTable<>();
        for (int i = 0; i < 1000; i++) {
            t.put(IpPrefix.parse("10." + (i / 256) + "." + (i % 256) + ".0/24"), "peer" + i);
        }
        t.put(IpPrefix.parse("fd00:10::/64"), "v6");
        ByteBuf v4 = Unpooled.buffer().writeBytes(IpPrefix.literal("10.3.7.1").getAddress());
        ByteBuf v6 = Unpooled.buffer().writeBytes(IpPrefix.literal("fd00:10::9").getAddress());
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        for (int i = 0; i < 20_000; i++) {
            t.lookup(v4, 0, false);
            t.lookup(v6, 0, true);
        }
        long before = mx.getThreadAllocatedBytes(id);
        Object last = null;
        for (int i = 0; i < 100_000; i++) {
            last = t.lookup(v4, 0, false);
            last = t.lookup(v6, 0, true) == null ? null : last;
        }
        long allocated = mx.getThreadAllocatedBytes(id) - before;
        assertEquals("peer775", last);
        // one allocation per lookup would be at least 16 bytes each, 3.2 MB in all; what the JIT or a safepoint
        // allocates on this thread meanwhile is a few KiB at most
        assertTrue(allocated < 64 * 1024, "200000 lookups allocated " + allocated + " bytes");
    }

    @Test
    void lookupsDuringChangesOfOtherPeersAlwaysFindAStablePeer() throws InterruptedException {
        PrefixTable<String> t = new PrefixTable<>();
        t.put(IpPrefix.parse("10.1.0.0/16"), "stable");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> wrong = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            ByteBuf b = Unpooled.buffer().writeBytes(IpPrefix.literal("10.1.200.3").getAddress());
            while (!stop.get()) {
                String v = t.lookup(b, 0, false);
                if (!"stable".equals(v) && !"churn".equals(v)) {
                    wrong.set(String.valueOf(v));
                }
            }
        });
        reader.start();
        List<IpPrefix> near = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            near.add(IpPrefix.parse("10.1." + i + ".0/24"));
        }
        for (int round = 0; round < 200; round++) {
            t.setPrefixes("churn", round % 2 == 0 ? near.subList(0, 128) : near.subList(128, 256));
            t.setPrefixes("other", List.of(IpPrefix.parse("10.2." + round + ".0/24")));
        }
        stop.set(true);
        reader.join();
        assertNull(wrong.get());
        assertSame("churn", find(t, "10.1.200.3"));
    }
}
