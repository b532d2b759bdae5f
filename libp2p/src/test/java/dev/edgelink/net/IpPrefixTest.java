package dev.edgelink.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IpPrefixTest {

    @Test
    void prefixesOverlapOnlyWhenOneContainsTheOther() {
        assertTrue(IpPrefix.parse("10.244.0.0/16").overlaps(IpPrefix.parse("10.244.3.0/24")));
        assertTrue(IpPrefix.parse("10.244.3.0/24").overlaps(IpPrefix.parse("10.244.0.0/16")));
        assertFalse(IpPrefix.parse("10.244.3.0/24").overlaps(IpPrefix.parse("10.244.4.0/24")));
        assertFalse(IpPrefix.parse("10.0.0.0/8").overlaps(IpPrefix.parse("fd00::/8")));
        assertTrue(IpPrefix.parse("fd00:10:244::/48").overlaps(IpPrefix.parse("fd00:10:244:1::/64")));
        assertTrue(IpPrefix.parse("0.0.0.0/0").overlaps(IpPrefix.parse("192.168.1.0/24")));
    }

    @Test
    void hostBitsDoNotCountForOverlap() {
        assertTrue(IpPrefix.parse("10.244.3.7/24").overlaps(IpPrefix.parse("10.244.3.200/32")));
        assertFalse(IpPrefix.parse("10.244.3.7/24").overlaps(IpPrefix.parse("10.244.4.7/24")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"fd00:10:244:1::/64", "::/0", "2001:db8::1:0:0:1/128", "2001:db8:0:1:1:1:1:0/128",
        "fd00::/8", "10.0.0.0/8", "10.244.1.7/24"})
    void prefixesPrintInTheirCanonicalForm(String text) {
        assertEquals(text, IpPrefix.parse(text).toString());
    }

    @Test
    void ipv6PrintsAsRfc5952Recommends() {
        assertEquals("fd00::/64", IpPrefix.parse("FD00:0:0:0::/64").toString());
        assertEquals("fd00:1::/64", IpPrefix.parse("fd00:1:0:0:0:0:0:0/64").toString());
    }

    @Test
    void parseKeepsTheAddressAsGiven() {
        IpPrefix p = IpPrefix.parse("10.0.0.1/24");
        assertEquals(IpPrefix.literal("10.0.0.1"), p.address());
        assertEquals(24, p.length());
        assertFalse(p.isNetwork());
        assertFalse(p.equals(IpPrefix.parse("10.0.0.0/24")), "two interface addresses of one subnet differ");
    }

    @Test
    void aNetworkPrefixRefusesHostBits() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IpPrefix.parseNetwork("10.244.1.1/24"));
        assertEquals("host bits set in 10.244.1.1/24 (the prefix must be the network address)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parseNetwork("fd00::1/64"));
        assertThrows(IllegalArgumentException.class,
                () -> IpPrefix.network(IpPrefix.literal("10.244.1.128"), 24));
        assertEquals(IpPrefix.parse("10.244.1.0/24"), IpPrefix.parseNetwork("10.244.1.0/24"));
        assertEquals(IpPrefix.parse("10.244.1.128/25"), IpPrefix.network(IpPrefix.literal("10.244.1.128"), 25));
        assertTrue(IpPrefix.parseNetwork("0.0.0.0/0").isNetwork());
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.244.1.0/33", "fd00::/129", "10.244.01.0/24", "node-b/24", "10.244.1.0", "10.0.0.0/",
        "10.0.0.0/+8", "10.0.0.0/-1", "10.0.0.0/0008", "::ffff:10.244.1.0/120", "fe80::1%eth0/64", "cafe/16",
        "10.0.0.256/32", "10.1/16", ""})
    void invalidTextIsRefused(String text) {
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse(text));
    }

    @Test
    void errorsSayWhatIsWrong() {
        assertEquals("'10.0.0.0' is not a CIDR (expected address/length)",
                assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("10.0.0.0")).getMessage());
        assertEquals("invalid prefix length in '10.0.0.0/x'",
                assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("10.0.0.0/x")).getMessage());
        assertEquals("prefix length 33 out of range 0..32 for 10.0.0.0",
                assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("10.0.0.0/33")).getMessage());
        assertEquals("invalid IPv4 address '10.0.0.09'",
                assertThrows(IllegalArgumentException.class, () -> IpPrefix.literal("10.0.0.09")).getMessage());
        assertEquals("IPv4-mapped IPv6 address '::ffff:10.0.0.1': write the IPv4 address",
                assertThrows(IllegalArgumentException.class, () -> IpPrefix.literal("::ffff:10.0.0.1")).getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"cafe", "localhost", "example.com", "beef.dead", "1", "10.1", "0x7f.0.0.1"})
    void literalNeverResolvesNames(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpPrefix.literal(text));
        assertTrue(e.getMessage().contains(text), e.getMessage());
    }

    @Test
    void literalsParseToTheirFamily() throws Exception {
        assertEquals(InetAddress.getByAddress(new byte[] {10, 0, 0, 1}), IpPrefix.literal("10.0.0.1"));
        assertTrue(IpPrefix.literal("fd00::1") instanceof Inet6Address);
        assertTrue(IpPrefix.literal("0.0.0.0") instanceof Inet4Address);
        assertEquals(IpPrefix.literal("fd00::1"), IpPrefix.literal("FD00:0:0:0:0:0:0:1"));
    }

    @Test
    void aHostPrefixCoversOneAddress() {
        assertEquals(IpPrefix.parse("10.244.1.7/32"), IpPrefix.host(IpPrefix.literal("10.244.1.7")));
        assertEquals(IpPrefix.parse("fd00::7/128"), IpPrefix.host(IpPrefix.literal("fd00::7")));
    }

    @Test
    void familyIsTheAddresses() {
        assertTrue(IpPrefix.parse("10.0.0.0/8").isIpv4());
        assertFalse(IpPrefix.parse("::/0").isIpv4());
    }

    @Test
    void equalPrefixesAreEqualHoweverTheirAddressWasWritten() {
        IpPrefix a = IpPrefix.parse("fd00:0:0:0:0:0:0:0/64");
        IpPrefix b = IpPrefix.parse("fd00::/64");
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
    }
}
