package dev.edgelink.cni.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.cni.CniArgs;
import dev.edgelink.cni.CniCommand;
import dev.edgelink.cni.CniErrorCode;
import dev.edgelink.cni.CniException;
import dev.edgelink.cni.CniRequest;
import dev.edgelink.cni.internal.Addresses;
import dev.edgelink.cni.internal.codec.CniCodec;
import dev.edgelink.cni.internal.codec.RequestCodec;
import dev.edgelink.net.MacAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CniArgsAndEnvironmentTest {
    private static final byte[] CONFIG = Vectors.bytes("config-minimal.json");
    private static final byte[] CONFIG_11 =
            "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"edgelink\"}".getBytes(StandardCharsets.UTF_8);

    private static Map<String, String> env(String command) {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", "c0ffee-1");
        env.put("CNI_NETNS", "/run/netns/pod");
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_PATH", "/opt/cni/bin");
        return env;
    }

    @Test
    void podmanStyleArgsGiveIpAndMacAndKeepTheRest() {
        CniArgs args = CniCodec.parseArgs("IgnoreUnknown=1;K8S_POD_NAME=web;IP=10.244.1.7/24;MAC=02:00:00:00:00:07");
        assertEquals(Addresses.parse("10.244.1.7"), args.ip());
        assertEquals(MacAddress.parse("02:00:00:00:00:07"), args.mac());
        assertEquals("web", args.all().get("K8S_POD_NAME"));
        assertEquals(CniArgs.NONE, CniCodec.parseArgs(""));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"IP=10.244.1.x|IP=", "IP=cafe|IP=", "MAC=02:00|MAC=", "novalue|novalue",
        "A=1;;B=2|not KEY=VALUE"})
    void badArgsNameCniArgsAndTheKey(String text, String mentioned) {
        CniException e = assertThrows(CniException.class, () -> CniCodec.parseArgs(text));
        assertEquals(CniErrorCode.INVALID_ENVIRONMENT, e.kind());
        assertTrue(e.msg().contains("CNI_ARGS") && e.msg().contains(mentioned), e.msg());
    }

    @Test
    void anAddRequestCarriesEveryParameter() {
        Map<String, String> env = env("ADD");
        env.put("CNI_ARGS", "IP=10.244.1.7");
        env.put("HOME", "/root");
        CniRequest r = RequestCodec.decode(env, CONFIG);
        assertEquals(CniCommand.ADD, r.command());
        assertEquals("c0ffee-1", r.containerId());
        assertEquals("/run/netns/pod", r.netns());
        assertEquals("eth0", r.ifname());
        assertEquals("/opt/cni/bin", r.path());
        assertEquals(Addresses.parse("10.244.1.7"), r.args().ip());
    }

    @Test
    void delNeedsNoNetns() {
        Map<String, String> env = env("DEL");
        env.remove("CNI_NETNS");
        assertEquals("", RequestCodec.decode(env, CONFIG).netns());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "CNI_COMMAND|", "CNI_COMMAND|add", "CNI_COMMAND|FROB",
        "CNI_CONTAINERID|", "CNI_CONTAINERID|-abc", "CNI_CONTAINERID|a/b",
        "CNI_IFNAME|", "CNI_IFNAME|eth0:1", "CNI_IFNAME|a b", "CNI_IFNAME|..", "CNI_IFNAME|abcdefghijklmnop",
        "CNI_NETNS|", "CNI_NETNS|run/netns/x"})
    void aBadVariableIsCode4NamingIt(String variable, String value) {
        Map<String, String> env = env("ADD");
        if (value == null) {
            env.remove(variable);
        } else {
            env.put(variable, value);
        }
        CniException e = assertThrows(CniException.class, () -> RequestCodec.decode(env, CONFIG));
        assertEquals(CniErrorCode.INVALID_ENVIRONMENT, e.kind());
        assertTrue(e.msg().contains(variable), e.msg());
    }

    @Test
    void checkStatusAndGcNeedTheirVersionsAndFields() {
        CniException check = assertThrows(CniException.class, () -> RequestCodec.decode(env("CHECK"),
                "{\"cniVersion\":\"0.3.1\",\"name\":\"n\",\"type\":\"edgelink\"}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(CniErrorCode.INCOMPATIBLE_VERSION, check.kind());
        assertEquals(CniErrorCode.INCOMPATIBLE_VERSION,
                assertThrows(CniException.class, () -> RequestCodec.decode(env("STATUS"), CONFIG)).kind());
        assertEquals(CniErrorCode.INCOMPATIBLE_VERSION,
                assertThrows(CniException.class, () -> RequestCodec.decode(env("GC"), CONFIG)).kind());
        CniException noPrev = assertThrows(CniException.class, () -> RequestCodec.decode(env("CHECK"), CONFIG));
        assertTrue(noPrev.msg().contains("prevResult"), noPrev.msg());
        CniException noList = assertThrows(CniException.class, () -> RequestCodec.decode(env("GC"), CONFIG_11));
        assertTrue(noList.msg().contains("cni.dev/valid-attachments"), noList.msg());
        Map<String, String> status = new HashMap<>();
        status.put("CNI_COMMAND", "STATUS");
        assertEquals(CniCommand.STATUS, RequestCodec.decode(status, CONFIG_11).command());
    }

    @Test
    void emptyOrNonJsonStdinIsADecodingFailure() {
        assertEquals(CniErrorCode.DECODING_FAILURE,
                assertThrows(CniException.class, () -> RequestCodec.decode(env("ADD"), new byte[0])).kind());
        assertEquals(CniErrorCode.DECODING_FAILURE, assertThrows(CniException.class,
                () -> RequestCodec.decode(env("ADD"), "{".getBytes(StandardCharsets.UTF_8))).kind());
        assertNull(CniCodec.parseArgs(null).ip());
    }
}
