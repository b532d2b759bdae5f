package dev.edgelink.cni.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.cni.internal.Addresses;
import dev.edgelink.cni.internal.ipam.IpPool;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

class IpPoolTest {

    @Test
    void aSlash24Has253PodAddressesWithoutNetworkGatewayAndBroadcast() {
        IpPool pool = new IpPool(Addresses.parsePrefix("10.244.1.77/24"));
        assertEquals("10.244.1.0/24", Addresses.format(pool.cidr()));
        assertEquals("10.244.1.1", Addresses.format(pool.gateway()));
        assertEquals("10.244.1.2", Addresses.format(pool.first()));
        assertEquals("10.244.1.254", Addresses.format(pool.last()));
        assertEquals(BigInteger.valueOf(253), pool.size());
        assertFalse(pool.isUsable(Addresses.parse("10.244.1.0")));
        assertFalse(pool.isUsable(Addresses.parse("10.244.1.1")));
        assertFalse(pool.isUsable(Addresses.parse("10.244.1.255")));
        assertFalse(pool.isUsable(Addresses.parse("10.244.2.5")));
        assertTrue(pool.whyNotUsable(Addresses.parse("10.244.1.1")).contains("gateway"));
        assertTrue(pool.whyNotUsable(Addresses.parse("10.244.1.255")).contains("broadcast"));
        assertTrue(pool.whyNotUsable(Addresses.parse("10.9.1.5")).contains("not in the pod CIDR"));
    }

    @Test
    void nextWrapsFromLastToFirst() {
        IpPool pool = new IpPool(Addresses.parsePrefix("10.0.0.0/29"));
        assertEquals("10.0.0.2", Addresses.format(pool.next(null)));
        assertEquals("10.0.0.3", Addresses.format(pool.next(Addresses.parse("10.0.0.2"))));
        assertEquals("10.0.0.2", Addresses.format(pool.next(Addresses.parse("10.0.0.6"))));
    }

    @Test
    void ipv6KeepsOnlyTheNetworkAndGatewayBack() {
        IpPool pool = new IpPool(Addresses.parsePrefix("fd00:10:244:1::/120"));
        assertEquals("fd00:10:244:1::1", Addresses.format(pool.gateway()));
        assertEquals("fd00:10:244:1::2", Addresses.format(pool.first()));
        assertEquals("fd00:10:244:1::ff", Addresses.format(pool.last()));
        assertEquals(BigInteger.valueOf(254), pool.size());
    }

    @Test
    void tooSmallCidrsAreRefused() {
        assertEquals(BigInteger.ONE, new IpPool(Addresses.parsePrefix("10.0.0.0/30")).size());
        assertThrows(IllegalArgumentException.class, () -> new IpPool(Addresses.parsePrefix("10.0.0.0/31")));
        assertThrows(IllegalArgumentException.class, () -> new IpPool(Addresses.parsePrefix("fd00::/127")));
    }
}
