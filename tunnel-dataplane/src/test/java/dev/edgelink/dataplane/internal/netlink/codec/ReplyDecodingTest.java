package dev.edgelink.dataplane.internal.netlink.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.dataplane.netlink.VxlanConfig;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import java.net.Inet4Address;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/** Decoding what kernel 6.18 really sent (captured with capture-replies.py, independent of our code). */
@EnabledIf("dev.edgelink.dataplane.internal.netlink.codec.RequestVectorsTest#littleEndian")
class ReplyDecodingTest {

    @Test
    void decodesAVxlanLinkFromTheKernel() {
        List<NetlinkHeader.Message> messages = NetlinkHeader.split(Vectors.buffer("replies/getlink-vxlan"));
        assertEquals(1, messages.size());
        assertEquals(Rtnl.RTM_NEWLINK, messages.get(0).header().type());
        LinkMessage link = LinkMessage.decode(messages.get(0).payload());
        assertEquals("edgelink.vx2", link.name());
        assertEquals(5, link.index());
        assertEquals(1450, link.mtu());
        assertEquals("vxlan", link.kind());
        assertEquals(new VxlanConfig(7, (Inet4Address) IpPrefix.literal("198.18.0.1"), 3, 4789, false, 64),
                link.vxlan());
        assertEquals(MacAddress.parse("1e:de:d6:d9:1b:8f"), link.address());
        assertNull(link.ipip());
    }

    @Test
    void decodesAnExtendedAckError() {
        NetlinkHeader.Message m = NetlinkHeader.split(Vectors.buffer("replies/error-eopnotsupp-extack")).get(0);
        assertEquals(Rtnl.NLMSG_ERROR, m.header().type());
        ErrorMessage e = ErrorMessage.decode(m.payload(), m.header().flags());
        assertEquals(95, e.errno());
        assertEquals(2, e.requestSeq());
        assertEquals("Unknown device type", e.message());
    }

    @Test
    void decodesAMultipartRouteDump() {
        List<NetlinkHeader.Message> messages = NetlinkHeader.split(Vectors.buffer("replies/dump-routes"));
        assertTrue(messages.stream().allMatch(m -> (m.header().flags() & Rtnl.NLM_F_MULTI) != 0));
        List<RouteMessage> routes = messages.stream().map(m -> RouteMessage.decode(m.payload()))
                .collect(Collectors.toList());
        RouteMessage ours = routes.stream().filter(r -> r.protocol() == 69).findFirst().orElseThrow();
        assertEquals(IpPrefix.literal("10.244.2.0"), ours.destination());
        assertEquals(24, ours.dstLength());
        assertEquals(IpPrefix.literal("10.244.2.0"), ours.gateway());
        assertEquals(4, ours.outputLink());
        assertEquals(254, ours.table());
        assertEquals(Rtnl.RTNH_F_ONLINK, ours.flags() & Rtnl.RTNH_F_ONLINK);
        assertTrue(routes.stream().anyMatch(r -> r.table() == 255), "local table routes are in a full dump");
        NetlinkHeader done = NetlinkHeader.split(Vectors.buffer("replies/dump-done")).get(0).header();
        assertEquals(Rtnl.NLMSG_DONE, done.type());
    }

    @Test
    void decodesAVxlanFdbEntry() {
        List<NeighborMessage> entries = NetlinkHeader.split(Vectors.buffer("replies/dump-fdb")).stream()
                .map(m -> NeighborMessage.decode(m.payload())).collect(Collectors.toList());
        NeighborMessage entry = entries.stream().filter(n -> n.destination() != null).findFirst().orElseThrow();
        assertEquals(Rtnl.AF_BRIDGE, entry.family());
        assertEquals(4, entry.index());
        assertEquals(MacAddress.parse("02:00:00:00:00:02"), entry.lladdr());
        assertEquals(IpPrefix.literal("198.18.0.2"), entry.destination());
        assertEquals(Rtnl.NTF_SELF, entry.flags() & Rtnl.NTF_SELF);
        assertEquals(0xc0, entry.state());
    }
}
