package dev.edgelink.dataplane.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.net.IpPrefix;
import org.junit.jupiter.api.Test;

class SubnetsTest {

    @Test
    void containsComparesTheLeadingBitsOnly() {
        assertTrue(Subnets.contains(IpPrefix.parse("10.0.0.1/24"), IpPrefix.literal("10.0.0.254")));
        assertFalse(Subnets.contains(IpPrefix.parse("10.0.0.1/24"), IpPrefix.literal("10.0.1.3")));
        assertTrue(Subnets.contains(IpPrefix.parse("10.0.0.1/23"), IpPrefix.literal("10.0.1.3")));
        assertTrue(Subnets.contains(IpPrefix.parse("10.0.0.1/0"), IpPrefix.literal("192.0.2.1")));
        assertFalse(Subnets.contains(IpPrefix.parse("10.0.0.1/29"), IpPrefix.literal("10.0.0.9")));
        assertFalse(Subnets.contains(IpPrefix.parse("10.0.0.1/24"), IpPrefix.literal("::ffff:1")));
    }

    @Test
    void networkClearsTheHostBits() {
        assertEquals(IpPrefix.parse("10.0.0.0/24"), Subnets.network(IpPrefix.parse("10.0.0.1/24")));
        assertEquals(IpPrefix.parse("10.0.0.8/29"), Subnets.network(IpPrefix.parse("10.0.0.13/29")));
        assertEquals(IpPrefix.parse("10.244.0.0/16"), Subnets.network(IpPrefix.parse("10.244.7.9/16")));
    }
}
