package dev.edgelink.cni.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.cni.CniErrorCode;
import dev.edgelink.cni.CniException;
import dev.edgelink.cni.CniResult;
import dev.edgelink.cni.CniVersions;
import dev.edgelink.cni.GcAttachment;
import dev.edgelink.cni.PluginConfig;
import dev.edgelink.cni.internal.Addresses;
import dev.edgelink.cni.internal.codec.CniCodec;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class CniCodecTest {

    @ParameterizedTest
    @ValueSource(strings = {"spec-add-result.json", "spec-ipam-result.json", "result-1.1.0-full.json"})
    void specResultsRoundTripExactly(String vector) {
        JsonNode json = Vectors.json(vector);
        CniResult result = CniCodec.decodeResult(json, "result");
        assertEquals(json, CniCodec.encodeResult(result, json.get("cniVersion").asText()));
    }

    @Test
    void aResultIsWrittenInTheFormOfTheRequestedVersion() {
        CniResult result = CniCodec.decodeResult(Vectors.json("spec-add-result.json"), "result");
        assertEquals(Vectors.json("spec-add-result-0.4.0.json"), CniCodec.encodeResult(result, "0.4.0"));
        CniResult old = CniCodec.decodeResult(Vectors.json("spec-add-result-0.4.0.json"), "result");
        assertEquals(result.withVersion("0.4.0"), old);

        JsonNode v1 = CniCodec.encodeResult(CniCodec.decodeResult(Vectors.json("result-1.1.0-full.json"), "r"),
                "1.0.0");
        assertFalse(v1.get("interfaces").get(0).has("mtu"), "mtu on interfaces is 1.1.0 only");
        assertFalse(v1.get("routes").get(0).has("advmss"), "route attributes are 1.1.0 only");
        assertEquals("fd00:10:244:1::2/128", v1.get("ips").get(1).get("address").asText());
    }

    @Test
    void theSpecErrorAndVersionExamplesAreWhatWeWrite() {
        JsonNode error = Vectors.json("spec-error.json");
        CniException e = CniCodec.decodeError(error);
        assertEquals(CniErrorCode.INVALID_NETWORK_CONFIG, e.kind());
        assertEquals(error, CniCodec.encodeError(e, "1.1.0"));
        assertEquals(Vectors.json("spec-version.json"), CniCodec.encodeVersion("1.1.0"));
        assertEquals(CniVersions.SUPPORTED, Arrays.asList(
                new com.fasterxml.jackson.databind.ObjectMapper().convertValue(
                        Vectors.json("spec-version.json").get("supportedVersions"), String[].class)));
    }

    @Test
    void aMinimalConfigGetsTheDefaults() {
        PluginConfig c = CniCodec.decodeConfig(Vectors.bytes("config-minimal.json"));
        assertEquals("1.0.0", c.cniVersion());
        assertEquals("edgelink", c.name());
        assertEquals(PluginConfig.DEFAULT_AGENT_SOCKET, c.agentSocket());
        assertEquals(0, c.mtu());
        assertNull(c.dns());
        assertNull(c.prevResult());
        assertNull(c.requestedIp());
        assertNull(c.validAttachments());
    }

    @Test
    void everyFieldOfAFullConfigIsRead() {
        PluginConfig c = CniCodec.decodeConfig(Vectors.bytes("config-full.json"));
        assertEquals("1.1.0", c.cniVersion());
        assertEquals(List.of("1.0.0", "1.1.0"), c.cniVersions());
        assertEquals("edge-net.1", c.name());
        assertEquals(Path.of("/run/edgelink-node2/cni.sock"), c.agentSocket());
        assertEquals(1400, c.mtu());
        assertEquals(List.of("10.96.0.10"), c.dns().nameservers());
        assertEquals(List.of("svc.cluster.local"), c.dns().search());
        assertEquals(Addresses.parse("10.244.1.9"), c.requestedIp(), "the first IPv4 of runtimeConfig.ips");
        assertEquals(MacAddress.parse("02:00:00:00:01:09"), c.requestedMac());
        assertEquals(2, c.prevResult().interfaces().size());
        assertEquals(new IpPrefix(Addresses.parse("10.244.1.9"), 32), c.prevResult().ips().get(0).address());
        assertEquals(1, c.prevResult().ips().get(0).interfaceIndex());
    }

    @Test
    void gcReadsTheValidAttachments() {
        PluginConfig c = CniCodec.decodeConfig(Vectors.bytes("config-gc.json"));
        assertEquals(List.of(new GcAttachment("c1", "eth0"), new GcAttachment("c2", "net1")),
                c.validAttachments());
        PluginConfig legacy = CniCodec.decodeConfig(Vectors.parse(
                "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"edgelink\",\"cni.dev/attachments\":[]}"));
        assertEquals(List.of(), legacy.validAttachments());
    }

    @Test
    void aLauncherInstalledUnderASuffixedNameIsOurType() {
        PluginConfig c = CniCodec.decodeConfig(Vectors.parse(
                "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"edgelink-lab1\"}"));
        assertEquals("edgelink-lab1", c.type());
    }

    static Stream<Arguments> badConfigs() {
        return Vectors.text("bad-configs.txt").lines().filter(l -> !l.isBlank()).map(l -> {
            String[] parts = l.split("\t", 3);
            return Arguments.of(Integer.parseInt(parts[0]), parts[1], parts[2]);
        });
    }

    @ParameterizedTest(name = "[{index}] {1} -> {0}")
    @MethodSource("badConfigs")
    void aBrokenFieldIsRefusedWithItsCodeAndName(int code, String field, String json) {
        CniException e = assertThrows(CniException.class,
                () -> CniCodec.decodeConfig(json.getBytes(StandardCharsets.UTF_8)));
        assertEquals(code, e.code(), e.getMessage());
        assertTrue(e.msg().contains(field) || e.details().contains(field), e.getMessage());
    }

    @Test
    void anUnsupportedFieldNamesItsKeyAndValue() {
        CniException e = assertThrows(CniException.class, () -> CniCodec.decodeConfig(Vectors.parse(
                "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"edgelink\",\"ipam\":{\"type\":\"dhcp\"}}")));
        assertEquals("unsupported field: ipam={\"type\":\"dhcp\"}", e.msg());
    }
}
