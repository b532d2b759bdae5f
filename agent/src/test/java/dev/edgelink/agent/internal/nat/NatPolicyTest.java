package dev.edgelink.agent.internal.nat;

import static dev.edgelink.discovery.NodeReachability.NAT_PORT_PRESERVING;
import static dev.edgelink.discovery.NodeReachability.NAT_SYMMETRIC;
import static dev.edgelink.discovery.NodeReachability.PUBLIC;
import static dev.edgelink.discovery.NodeReachability.UNKNOWN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.discovery.NodeReachability;
import dev.edgelink.net.IpPrefix;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which paths the records of two nodes allow: kernel paths never across a NAT, LAN dials before circuits. */
class NatPolicyTest {

    private static NatPolicy.End end(String site, NodeReachability r) {
        return new NatPolicy.End(site, r);
    }

    @Test
    void withoutSitesAndWithoutKnownNatsKernelPathsStayEligibleAsBefore() {
        assertNull(NatPolicy.kernelRefusal(end("", UNKNOWN), end("", UNKNOWN), false));
        assertNull(NatPolicy.kernelRefusal(end("", PUBLIC), end("", UNKNOWN), false));
    }

    @Test
    void aPeerOnOurSubnetIsEligibleWhateverTheRecordsSay() {
        assertNull(NatPolicy.kernelRefusal(end("a", NAT_SYMMETRIC), end("b", NAT_SYMMETRIC), true));
    }

    @Test
    void theSameSiteIsEligibleEvenBehindOneNat() {
        assertNull(NatPolicy.kernelRefusal(end("a", NAT_PORT_PRESERVING), end("a", NAT_PORT_PRESERVING), false));
    }

    @Test
    void differentSitesNeedBothEndsPublic() {
        assertNull(NatPolicy.kernelRefusal(end("a", PUBLIC), end("cloud", PUBLIC), false));
        String no = NatPolicy.kernelRefusal(end("a", NAT_PORT_PRESERVING), end("cloud", PUBLIC), false);
        assertNotNull(no);
        assertTrue(no.contains("site cloud"), no);
        assertNotNull(NatPolicy.kernelRefusal(end("a", PUBLIC), end("b", UNKNOWN), false));
    }

    @Test
    void withoutSitesAKnownNatOnEitherSideRefusesAndSaysWhich() {
        assertEquals("we are behind a NAT (NAT is symmetric)",
                NatPolicy.kernelRefusal(end("", NAT_SYMMETRIC), end("", PUBLIC), false));
        assertEquals("peer is behind a NAT (NAT is port-preserving)",
                NatPolicy.kernelRefusal(end("", PUBLIC), end("a", NAT_PORT_PRESERVING), false));
    }

    @Test
    void lanAddressesAreDialedAtOurSiteOrToPublicPeersButNotAcrossNats() {
        assertTrue(NatPolicy.dialDirectly(end("a", NAT_SYMMETRIC), end("a", NAT_SYMMETRIC), false));
        assertTrue(NatPolicy.dialDirectly(end("a", NAT_SYMMETRIC), end("cloud", PUBLIC), false));
        assertTrue(NatPolicy.dialDirectly(end("", UNKNOWN), end("", UNKNOWN), false));
        assertFalse(NatPolicy.dialDirectly(end("a", NAT_PORT_PRESERVING), end("b", NAT_PORT_PRESERVING), false));
        assertFalse(NatPolicy.dialDirectly(end("", UNKNOWN), end("", NAT_SYMMETRIC), false));
        assertTrue(NatPolicy.dialDirectly(end("a", UNKNOWN), end("b", UNKNOWN), true));
    }

    private static InetAddress ip(String text) {
        return IpPrefix.literal(text);
    }

    @Test
    void kernelPathsCarryPodTrafficInClearOnlyWithinASite() {
        List<IpPrefix> none = List.of();
        assertNull(NatPolicy.untrustedUnderlay("", "", ip("10.0.0.1"), List.of(ip("192.0.2.7")), none),
                "nodes without a site form one default site");
        assertNull(NatPolicy.untrustedUnderlay("a", "a", ip("10.0.0.1"), List.of(ip("10.0.0.2")), none));
        String cross = NatPolicy.untrustedUnderlay("a", "", ip("10.0.0.1"), List.of(ip("198.18.0.3")), none);
        assertNotNull(cross, "a site node and an unlabelled cloud node are two sites");
        assertTrue(cross.contains("site (default), we are at a"), cross);
        assertNotNull(NatPolicy.untrustedUnderlay("a", "b", ip("10.0.0.1"), List.of(ip("10.0.0.2")), none),
                "sharing a subnet is not trusting it");
    }

    @Test
    void aTrustedUnderlayAllowsKernelPathsAcrossSitesWhenBothEndsAreInIt() {
        List<IpPrefix> trusted = List.of(IpPrefix.parse("10.0.0.0/16"));
        assertNull(NatPolicy.untrustedUnderlay("a", "b", ip("10.0.1.1"), List.of(ip("10.0.2.1")), trusted));
        assertNull(NatPolicy.untrustedUnderlay("a", "b", ip("10.0.1.1"),
                List.of(ip("203.0.113.9"), ip("10.0.2.1")), trusted));
        assertNotNull(NatPolicy.untrustedUnderlay("a", "b", ip("10.0.1.1"), List.of(ip("203.0.113.9")), trusted),
                "the peer's end is outside the trusted underlay");
        assertNotNull(NatPolicy.untrustedUnderlay("a", "b", ip("203.0.113.1"), List.of(ip("10.0.2.1")), trusted),
                "our end is outside the trusted underlay");
    }
}
