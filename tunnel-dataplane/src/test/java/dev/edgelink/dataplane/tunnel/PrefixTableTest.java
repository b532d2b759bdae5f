package dev.edgelink.dataplane.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.edgelink.dataplane.netlink.IpPrefix;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Longest prefix first, IPv4 and IPv6, updates replace the snapshot. */
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
}
