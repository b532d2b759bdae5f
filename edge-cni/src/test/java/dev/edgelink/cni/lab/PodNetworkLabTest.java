package dev.edgelink.cni.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.cni.CniCommand;
import dev.edgelink.cni.CniErrorCode;
import dev.edgelink.cni.CniException;
import dev.edgelink.cni.CniRequest;
import dev.edgelink.cni.CniResult;
import dev.edgelink.cni.DefaultCniService;
import dev.edgelink.cni.PluginConfig;
import dev.edgelink.cni.internal.codec.CniCodec;
import dev.edgelink.cni.internal.pod.PodNetwork;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.net.IpPrefix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DefaultCniService} against real namespaces: a "node" namespace (never the machine's own) and a "pod"
 * namespace, both made by iproute2; what the service did is read back with {@code ip -n}, not with our code.
 */
@Tag("lab")
class PodNetworkLabTest {
    private static final PluginConfig CONFIG = PluginConfig.of("1.1.0", "edgelink-lab");

    @TempDir
    Path ipamDir;
    private CniLab lab;
    private String node;
    private String pod;
    private Netlink netlink;
    private DefaultCniService service;

    @BeforeEach
    void setUp() {
        lab = CniLab.open();
        node = lab.namespace("node");
        pod = lab.namespace("pod");
        netlink = Netlink.openInNamespace(CniLab.path(node));
        service = new DefaultCniService(IpPrefix.parse("10.244.1.0/24"), () -> 1400, ipamDir, netlink,
                CniLab.path(node));
    }

    @AfterEach
    void tearDown() {
        try {
            if (service != null) {
                service.close();
            }
            if (netlink != null) {
                netlink.close();
            }
        } finally {
            lab.close();
        }
    }

    private CniRequest request(CniCommand command, String id, PluginConfig config) {
        return CniRequest.of(command, id, CniLab.path(pod).toString(), "eth0", config);
    }

    @Test
    void addPlumbsThePodAndTheNodeCheckPassesAndDelTwiceLeavesNothing() {
        CniResult result = service.add(request(CniCommand.ADD, "c1", CONFIG));
        String host = PodNetwork.hostName("c1", "eth0");
        assertEquals(List.of(host, "eth0"), result.interfaces().stream().map(CniResult.Interface::name)
                .collect(Collectors.toList()));
        assertEquals("10.244.1.2/32", result.ips().get(0).address().toString());
        assertEquals(1, result.ips().get(0).interfaceIndex());

        JsonNode podLink = lab.ipJson(pod, "addr", "show", "dev", "eth0").get(0);
        assertEquals(1400, podLink.path("mtu").asInt());
        assertTrue(podLink.path("flags").toString().contains("\"UP\""), podLink.toString());
        assertEquals(List.of("10.244.1.2/32"), addresses(podLink));
        JsonNode route = lab.ipJson(pod, "route", "show", "default").get(0);
        assertEquals("10.244.1.1", route.path("gateway").asText());
        assertEquals("eth0", route.path("dev").asText());
        assertTrue(route.path("flags").toString().contains("onlink"), route.toString());

        JsonNode hostLink = lab.ipJson(node, "addr", "show", "dev", host).get(0);
        assertEquals(1400, hostLink.path("mtu").asInt());
        assertEquals(List.of("10.244.1.1/32"), addresses(hostLink));
        JsonNode hostRoute = lab.ipJson(node, "route", "show", "10.244.1.2").get(0);
        assertEquals(host, hostRoute.path("dev").asText());
        assertEquals(0, lab.execIn(node, "ping", "-c", "1", "-W", "2", "10.244.1.2"), "node pings the pod");

        service.check(request(CniCommand.CHECK, "c1", CONFIG.withPrevResult(result)));

        service.del(request(CniCommand.DEL, "c1", CONFIG.withPrevResult(result)));
        service.del(request(CniCommand.DEL, "c1", CONFIG.withPrevResult(result)));
        assertNothingLeft();
    }

    @Test
    void checkReportsWhatDrifted() {
        CniResult result = service.add(request(CniCommand.ADD, "c1", CONFIG));
        lab.ip(pod, "route", "del", "default");
        lab.ip(node, "route", "del", "10.244.1.2");
        CniException e = assertThrows(CniException.class,
                () -> service.check(request(CniCommand.CHECK, "c1", CONFIG.withPrevResult(result))));
        assertEquals(CniErrorCode.CHECK_FAILED, e.kind());
        assertTrue(e.details().contains("no default route") && e.details().contains("node has no route"),
                e.details());
        service.del(request(CniCommand.DEL, "c1", CONFIG));
        assertNothingLeft();
    }

    @Test
    void requestedAddressAndMacAreHonoured() {
        CniRequest add = new CniRequest(CniCommand.ADD, "c1", CniLab.path(pod).toString(), "eth0",
                CniCodec.parseArgs("IgnoreUnknown=1;IP=10.244.1.77;MAC=02:00:0a:f4:01:4d"),
                "", CONFIG);
        CniResult result = service.add(add);
        assertEquals("10.244.1.77/32", result.ips().get(0).address().toString());
        assertEquals("02:00:0a:f4:01:4d", lab.ipJson(pod, "link", "show", "eth0").get(0).path("address").asText());
        service.check(request(CniCommand.CHECK, "c1", CONFIG.withPrevResult(result)));
        service.del(request(CniCommand.DEL, "c1", CONFIG));
        assertNothingLeft();
    }

    @Test
    void aFailureHalfWayUndoesEveryStep() {
        CniRequest add = new CniRequest(CniCommand.ADD, "c1", CniLab.path(pod).toString(), "eth0",
                CniCodec.parseArgs("MAC=01:00:5e:00:00:01"), "", CONFIG);
        CniException e = assertThrows(CniException.class, () -> service.add(add));
        assertEquals(CniErrorCode.KERNEL_REFUSED, e.kind(), e.getMessage());
        assertNothingLeft();
    }

    @Test
    void anExistingInterfaceOfThatNameFailsAddAndLeavesItAlone() {
        lab.ip(pod, "link", "add", "eth0", "type", "veth", "peer", "name", "other0");
        CniException e = assertThrows(CniException.class, () -> service.add(request(CniCommand.ADD, "c1", CONFIG)));
        assertEquals(CniErrorCode.INTERFACE_EXISTS, e.kind());
        assertEquals(1, lab.ipJson(pod, "link", "show", "eth0").size());
        assertEquals(List.of(), ipamEntries());
        assertEquals(List.of(), ourLinks(node));
    }

    @Test
    void aSecondAddOfTheSameAttachmentFailsButKeepsTheAddressThePodUses() {
        service.add(request(CniCommand.ADD, "c1", CONFIG));
        CniException e = assertThrows(CniException.class, () -> service.add(request(CniCommand.ADD, "c1", CONFIG)));
        assertEquals(CniErrorCode.INTERFACE_EXISTS, e.kind());
        assertEquals(List.of("10.244.1.2"), ipamEntries(), "the pod still has 10.244.1.2 configured");
        service.del(request(CniCommand.DEL, "c1", CONFIG));
        assertNothingLeft();
    }

    @Test
    void delSucceedsWhenTheNetnsIsGoneAndReleasesTheAddress() {
        service.add(request(CniCommand.ADD, "c1", CONFIG));
        lab.deleteNamespace(pod);
        service.del(request(CniCommand.DEL, "c1", CONFIG));
        service.del(CniRequest.of(CniCommand.DEL, "c1", "", "eth0", CONFIG));
        assertEquals(List.of(), ipamEntries());
        assertEquals(List.of(), ourLinks(node));
    }

    @Test
    void addOfAMissingNetnsIsUnknownContainerAndAllocatesNothing() {
        CniException e = assertThrows(CniException.class, () -> service.add(CniRequest.of(CniCommand.ADD, "c1",
                "/run/netns/elc-none-such", "eth0", CONFIG)));
        assertEquals(CniErrorCode.UNKNOWN_CONTAINER, e.kind());
        assertEquals(List.of(), ipamEntries());
    }

    @Test
    void twoHundredAddDelCyclesLeaveNoVethRouteAddressOrIpamEntry() {
        for (int i = 0; i < 200; i++) {
            String id = "cycle-" + i;
            CniResult r = service.add(request(CniCommand.ADD, id, CONFIG));
            assertEquals(2, r.interfaces().size());
            service.del(request(CniCommand.DEL, id, CONFIG.withPrevResult(r)));
        }
        assertNothingLeft();
    }

    private void assertNothingLeft() {
        assertEquals(List.of(), ourLinks(node), "veths left on the node");
        assertEquals(List.of(), lab.ipJson(node, "route", "show", "proto", "69").findValues("dst").stream()
                .map(JsonNode::asText).collect(Collectors.toList()), "routes left on the node");
        assertEquals(List.of(), lab.ipJson(node, "-4", "addr", "show").findValues("local").stream()
                .map(JsonNode::asText).filter(a -> !a.startsWith("127.")).collect(Collectors.toList()),
                "addresses left on the node");
        if (Files.exists(CniLab.path(pod))) {
            assertEquals(List.of("lo"), lab.ipJson(pod, "link", "show").findValues("ifname").stream()
                    .map(JsonNode::asText).collect(Collectors.toList()), "links left in the pod");
        }
        assertEquals(List.of(), ipamEntries(), "IPAM entries left");
    }

    private List<String> ourLinks(String ns) {
        return lab.ipJson(ns, "link", "show").findValues("ifname").stream().map(JsonNode::asText)
                .filter(n -> n.startsWith(PodNetwork.HOST_PREFIX)).collect(Collectors.toList());
    }

    private List<String> ipamEntries() {
        try (Stream<Path> files = Files.list(ipamDir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9.]+"))
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static List<String> addresses(JsonNode link) {
        List<String> out = new ArrayList<>();
        link.path("addr_info").forEach(a -> {
            if ("inet".equals(a.path("family").asText())) {
                out.add(a.path("local").asText() + "/" + a.path("prefixlen").asInt());
            }
        });
        return out;
    }
}
