package dev.edgelink.dataplane.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.backend.vxlan.VxlanBackend;
import dev.edgelink.dataplane.netlink.Netlink;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("lab")
class VxlanBackendLabTest extends TunnelBackendContractTest {

    @Override
    TunnelBackend create(Netlink netlink) {
        return new VxlanBackend(netlink);
    }

    @Override
    int expectedOverhead() {
        return 50;
    }

    /** b's half of flannel's scheme, by hand. */
    @Override
    void buildPeer(Lab lab, String b) {
        lab.ip(b, "link", "add", "edgelink.vxlan", "address", VTEP_B.toString(), "type", "vxlan", "id", "1", "local",
                "10.0.0.2", "dev", "ul", "dstport", "8472", "nolearning");
        lab.ip(b, "addr", "add", "10.244.2.0/32", "dev", "edgelink.vxlan");
        lab.ip(b, "link", "set", "edgelink.vxlan", "up");
        lab.ip(b, "route", "add", "10.244.1.0/24", "via", "10.244.1.0", "dev", "edgelink.vxlan", "onlink");
        lab.ip(b, "neigh", "add", "10.244.1.0", "lladdr", VTEP_A.toString(), "dev", "edgelink.vxlan", "nud",
                "permanent");
        lab.run("bridge", "-n", b, "fdb", "append", VTEP_A.toString(), "dev", "edgelink.vxlan", "dst", "10.0.0.1");
    }

    @Test
    void thePeerGetsFlannelsThreeObjectsOnTheDeviceWithOurVtepMac() {
        backend.ensureDevice(LOCAL);
        backend.ensurePeer(PEER_B);

        JsonNode dev = lab.ipJson(a, "-d", "link", "show", "edgelink.vxlan").get(0);
        assertEquals(VTEP_A.toString(), dev.path("address").asText());
        assertEquals(1, dev.path("linkinfo").path("info_data").path("id").asInt());
        assertEquals(8472, dev.path("linkinfo").path("info_data").path("port").asInt());
        assertEquals("10.244.1.0", lab.ipJson(a, "addr", "show", "dev", "edgelink.vxlan").get(0)
                .path("addr_info").get(0).path("local").asText());
        JsonNode route = lab.ipJson(a, "route", "show", "proto", "69").get(0);
        assertEquals("10.244.2.0", route.path("gateway").asText());
        assertEquals("edgelink.vxlan", route.path("dev").asText());
        JsonNode neigh = lab.ipJson(a, "neigh", "show", "dev", "edgelink.vxlan").get(0);
        assertEquals(VTEP_B.toString(), neigh.path("lladdr").asText());
        JsonNode fdb = lab.bridgeJson(a, "fdb", "show", "dev", "edgelink.vxlan");
        boolean found = false;
        for (JsonNode e : fdb) {
            found |= VTEP_B.toString().equals(e.path("mac").asText()) && "10.0.0.2".equals(e.path("dst").asText());
        }
        assertEquals(true, found, "fdb " + VTEP_B + " dst 10.0.0.2 in " + fdb);
    }
}
