package dev.edgelink.dataplane.internal.netlink.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgelink.dataplane.netlink.IpipConfig;
import dev.edgelink.dataplane.netlink.MalformedMessageException;
import dev.edgelink.dataplane.netlink.VxlanConfig;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CodecRoundTripAndLimitsTest {
    private static final Inet4Address LOCAL = (Inet4Address) IpPrefix.literal("198.18.0.1");

    private static ByteBuffer payloadOf(byte[] message) {
        return NetlinkHeader.split(ByteBuffer.wrap(message)).get(0).payload();
    }

    @Test
    void vxlanLinkSurvivesARoundTrip() {
        VxlanConfig cfg = new VxlanConfig(16777215, LOCAL, 9, 8472, true, 17);
        LinkMessage sent = LinkMessage.of(3).withName("edgelink.vxlan").withMtu(1450)
                .withAddress(MacAddress.parse("02:aa:bb:cc:dd:ee")).withKind("vxlan", cfg, null, null);
        LinkMessage got = LinkMessage.decode(payloadOf(sent.encode(Rtnl.RTM_NEWLINK, 0, 1)));
        assertEquals("edgelink.vxlan", got.name());
        assertEquals(cfg, got.vxlan());
        assertEquals(1450, got.mtu());
        assertEquals(3, got.index());
        assertEquals(MacAddress.parse("02:aa:bb:cc:dd:ee"), got.address());
    }

    @Test
    void ipipLinkSurvivesARoundTrip() {
        IpipConfig cfg = new IpipConfig(LOCAL, (Inet4Address) IpPrefix.literal("198.18.0.2"), 64, 2);
        LinkMessage got = LinkMessage.decode(payloadOf(LinkMessage.of(0).withName("edgelink.ipip")
                .withKind("ipip", null, cfg, null).encode(Rtnl.RTM_NEWLINK, 0, 1)));
        assertEquals(cfg, got.ipip());
    }

    @Test
    void routeAddressAndNeighbourSurviveARoundTrip() {
        RouteMessage r = new RouteMessage(Rtnl.AF_INET6, 64, 1000, 69, 0, 1, 4, IpPrefix.literal("fd00::"),
                IpPrefix.literal("fd00:1::1"), 7, 100);
        assertEquals(r, RouteMessage.decode(payloadOf(r.encode(Rtnl.RTM_NEWROUTE, 0, 1))));
        AddressMessage a = AddressMessage.of(4, IpPrefix.literal("fd00::1"), 64);
        assertEquals(a, AddressMessage.decode(payloadOf(a.encode(Rtnl.RTM_NEWADDR, 0, 1))));
        NeighborMessage n = new NeighborMessage(Rtnl.AF_INET, 4, 0x80, 0, 0, IpPrefix.literal("10.0.0.1"),
                MacAddress.parse("02:00:00:00:00:01"));
        assertEquals(n, NeighborMessage.decode(payloadOf(n.encode(Rtnl.RTM_NEWNEIGH, 0, 1))));
    }

    @Test
    void rejectsAShortHeader() {
        assertThrows(MalformedMessageException.class, () -> NetlinkHeader.split(ByteBuffer.allocate(12)));
        assertThrows(MalformedMessageException.class, () -> NetlinkHeader.peek(ByteBuffer.allocate(15)));
    }

    @Test
    void rejectsALengthBeyondTheDatagram() {
        byte[] m = LinkMessage.of(1).encode(Rtnl.RTM_NEWLINK, 0, 1);
        ByteBuffer.wrap(m).order(ByteOrder.nativeOrder()).putInt(0, m.length + 4);
        assertThrows(MalformedMessageException.class, () -> NetlinkHeader.split(ByteBuffer.wrap(m)));
    }

    @Test
    void rejectsALengthBelowTheHeader() {
        byte[] m = LinkMessage.of(1).encode(Rtnl.RTM_NEWLINK, 0, 1);
        ByteBuffer.wrap(m).order(ByteOrder.nativeOrder()).putInt(0, 15);
        assertThrows(MalformedMessageException.class, () -> NetlinkHeader.split(ByteBuffer.wrap(m)));
    }

    @Test
    void rejectsTrailingBytes() {
        byte[] m = LinkMessage.of(1).encode(Rtnl.RTM_NEWLINK, 0, 1);
        assertThrows(MalformedMessageException.class,
                () -> NetlinkHeader.split(ByteBuffer.wrap(Arrays.copyOf(m, m.length + 3))));
    }

    @Test
    void rejectsAnAttributeShorterThanItsHeader() {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putShort((short) 3).putShort((short) 1);
        assertThrows(MalformedMessageException.class, () -> Attributes.parse(b.flip()));
    }

    @Test
    void rejectsAnAttributeThatOverrunsItsRegion() {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putShort((short) 12)
                .putShort((short) 1).putInt(0);
        assertThrows(MalformedMessageException.class, () -> Attributes.parse(b.flip()));
    }

    @Test
    void rejectsAnIntegerOfTheWrongSize() {
        byte[] m = new MessageWriter(Rtnl.RTM_NEWLINK, 0, 1).u8(0).u8(0).u16(0).u32(1).u32(0).u32(0)
                .attr(Rtnl.IFLA_MTU, new byte[] {1, 2}).finish();
        assertThrows(MalformedMessageException.class, () -> LinkMessage.decode(payloadOf(m)));
    }

    @Test
    void rejectsShortFixedStructs() {
        ByteBuffer seven = ByteBuffer.allocate(7);
        assertThrows(MalformedMessageException.class, () -> LinkMessage.decode(ByteBuffer.allocate(15)));
        assertThrows(MalformedMessageException.class, () -> AddressMessage.decode(seven));
        assertThrows(MalformedMessageException.class, () -> RouteMessage.decode(ByteBuffer.allocate(11)));
        assertThrows(MalformedMessageException.class, () -> NeighborMessage.decode(ByteBuffer.allocate(11)));
        assertThrows(MalformedMessageException.class, () -> ErrorMessage.decode(ByteBuffer.allocate(19), 0));
    }

    @Test
    void rejectsAVxlanLinkWithoutItsVni() {
        byte[] m = new MessageWriter(Rtnl.RTM_NEWLINK, 0, 1).u8(0).u8(0).u16(0).u32(1).u32(0).u32(0)
                .finish();
        MessageWriter w = new MessageWriter(Rtnl.RTM_NEWLINK, 0, 1).u8(0).u8(0).u16(0).u32(1).u32(0).u32(0);
        int info = w.beginNested(Rtnl.IFLA_LINKINFO);
        w.attrString(Rtnl.IFLA_INFO_KIND, "vxlan");
        int data = w.beginNested(Rtnl.IFLA_INFO_DATA);
        w.attrBe16(Rtnl.IFLA_VXLAN_PORT, 8472).endNested(data).endNested(info);
        assertEquals(1, LinkMessage.decode(payloadOf(m)).index());
        assertThrows(MalformedMessageException.class, () -> LinkMessage.decode(payloadOf(w.finish())));
    }

    @Test
    void rejectsAnErrorWhoseEchoOverrunsIt() {
        ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.nativeOrder()).putInt(-17).putInt(400);
        assertThrows(MalformedMessageException.class, () -> ErrorMessage.decode(b.position(0), Rtnl.NLM_F_ACK_TLVS));
    }
}
