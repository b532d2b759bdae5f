package dev.edgelink.dataplane.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.dataplane.kernel.VxlanDevice;
import dev.edgelink.dataplane.netlink.Link;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.net.IpPrefix;
import java.net.Inet4Address;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("lab")
class VxlanDeviceLabTest {
    private static final Inet4Address LOCAL = (Inet4Address) IpPrefix.literal("198.18.0.1");
    private Lab lab;
    private String ns;
    private Netlink netlink;

    @BeforeEach
    void setUp() {
        lab = Lab.open();
        ns = lab.namespace("vx");
        lab.underlay(ns);
        netlink = Netlink.openInNamespace(Lab.path(ns));
    }

    @AfterEach
    void tearDown() {
        try {
            if (netlink != null) {
                netlink.close();
            }
        } finally {
            lab.close();
        }
    }

    private JsonNode shown() {
        return lab.ipJson(ns, "-d", "link", "show", "edgelink.vxlan").get(0);
    }

    @Test
    void createsTheFlannelStyleDeviceAsIproute2SeesIt() {
        Link link = new VxlanDevice(netlink, VxlanDevice.Config.defaults(LOCAL, "ul0")).ensure();

        JsonNode dev = shown();
        JsonNode data = dev.path("linkinfo").path("info_data");
        assertEquals("vxlan", dev.path("linkinfo").path("info_kind").asText());
        assertEquals(1, data.path("id").asInt());
        assertEquals("198.18.0.1", data.path("local").asText());
        assertEquals("ul0", data.path("link").asText());
        assertEquals(8472, data.path("port").asInt());
        assertFalse(data.path("learning").asBoolean(true));
        assertTrue(dev.path("flags").toString().contains("\"UP\""), dev.path("flags").toString());
        assertEquals(link.index(), dev.path("ifindex").asInt());
        assertEquals(link.address().toString(), dev.path("address").asText());
    }

    @Test
    void ensuringAgainChangesNothing() {
        VxlanDevice device = new VxlanDevice(netlink, VxlanDevice.Config.defaults(LOCAL, "ul0"));
        Link first = device.ensure();
        JsonNode before = shown();

        Link second = device.ensure();

        assertEquals(first, second);
        assertEquals(before, shown());
    }

    @Test
    void aCompatibleDeviceMadeByIproute2IsKept() {
        lab.ip(ns, "link", "add", "edgelink.vxlan", "type", "vxlan", "id", "1", "local", "198.18.0.1", "dev", "ul0",
                "dstport", "8472", "nolearning");
        int ifindex = shown().path("ifindex").asInt();

        Link link = new VxlanDevice(netlink, VxlanDevice.Config.defaults(LOCAL, "ul0")).ensure();

        assertEquals(ifindex, link.index());
        assertTrue(link.up());
    }

    @Test
    void anIncompatibleLeftoverWithAnotherVniIsReplaced() {
        lab.ip(ns, "link", "add", "edgelink.vxlan", "type", "vxlan", "id", "2", "local", "198.18.0.1", "dev", "ul0",
                "dstport", "8472", "nolearning");
        int leftover = shown().path("ifindex").asInt();

        Link link = new VxlanDevice(netlink, VxlanDevice.Config.defaults(LOCAL, "ul0")).ensure();

        JsonNode dev = shown();
        assertEquals(1, dev.path("linkinfo").path("info_data").path("id").asInt());
        assertNotEquals(leftover, dev.path("ifindex").asInt());
        assertEquals(link.index(), dev.path("ifindex").asInt());
    }

    @Test
    void aLeftoverThatLearnsOnAnotherPortIsReplaced() {
        lab.ip(ns, "link", "add", "edgelink.vxlan", "type", "vxlan", "id", "1", "local", "198.18.0.1", "dev", "ul0",
                "dstport", "4789");
        new VxlanDevice(netlink, VxlanDevice.Config.defaults(LOCAL, "ul0")).ensure();

        JsonNode data = shown().path("linkinfo").path("info_data");
        assertEquals(8472, data.path("port").asInt());
        assertFalse(data.path("learning").asBoolean(true));
    }

    @Test
    void theWantedMtuIsSetOnAKeptDevice() {
        VxlanDevice.Config cfg = VxlanDevice.Config.defaults(LOCAL, "ul0");
        new VxlanDevice(netlink, cfg).ensure();
        VxlanDevice.Config smaller = new VxlanDevice.Config(cfg.name(), cfg.vni(), cfg.local(), cfg.underlayDevice(),
                cfg.port(), 1400);

        Link link = new VxlanDevice(netlink, smaller).ensure();

        assertEquals(1400, link.mtu());
        assertEquals(1400, shown().path("mtu").asInt());
    }
}
