package dev.edgelink.dataplane.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.dataplane.kernel.IpipDevice;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.dataplane.netlink.KernelFeatureMissingException;
import dev.edgelink.dataplane.netlink.Link;
import dev.edgelink.dataplane.netlink.NetlinkException;
import dev.edgelink.dataplane.netlink.Netlink;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("lab")
class IpipDeviceLabTest {
    private static final Inet4Address LOCAL = (Inet4Address) IpPrefix.literal("198.18.0.1");

    private static List<String> names(JsonNode links) {
        List<String> out = new ArrayList<>();
        links.forEach(l -> out.add(l.path("ifname").asText()));
        return out;
    }

    /** On a kernel without ipip (ours) this is the fallback; on one with it, the device is made. */
    @Test
    void ipipIsMadeOrReportedAsMissingWithNothingLeftBehind() {
        try (Lab lab = Lab.open()) {
            String probe = lab.namespace("probe");
            boolean kernelHasIpip = Lab.exitCode(List.of("ip", "-n", probe, "link", "add", "t", "type", "ipip")) == 0;
            String ns = lab.namespace("ipip");
            try (Netlink netlink = Netlink.openInNamespace(Lab.path(ns))) {
                IpipDevice device = new IpipDevice(netlink, IpipDevice.Config.defaults(LOCAL));
                if (kernelHasIpip) {
                    Link link = device.ensure();
                    assertEquals("ipip", lab.ipJson(ns, "-d", "link", "show", "edgelink.ipip").get(0)
                            .path("linkinfo").path("info_kind").asText());
                    assertEquals(link, device.ensure());
                    return;
                }
                KernelFeatureMissingException e = assertThrows(KernelFeatureMissingException.class, device::ensure);
                assertEquals("kernel has no ipip support (EOPNOTSUPP creating edgelink.ipip); falling back",
                        e.getMessage());
                assertEquals(NetlinkException.EOPNOTSUPP, e.errno());
                assertEquals(NetlinkException.Kind.NOT_SUPPORTED, e.kind());
                assertEquals(List.of("lo"), names(lab.ipJson(ns, "link", "show")));
            }
        }
    }
}
