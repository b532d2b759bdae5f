package dev.edgelink.cni.internal.codec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgelink.cni.CniArgs;
import dev.edgelink.cni.CniErrorCode;
import dev.edgelink.cni.CniException;
import dev.edgelink.cni.CniResult;
import dev.edgelink.cni.CniVersions;
import dev.edgelink.cni.GcAttachment;
import dev.edgelink.cni.PluginConfig;
import dev.edgelink.cni.internal.Addresses;
import dev.edgelink.net.MacAddress;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The pure CNI codec: stdin bytes to {@link PluginConfig}, CNI_ARGS to {@link CniArgs}, {@link CniResult} to and
 * from the JSON of each spec version, errors and VERSION answers to JSON. No I/O, no logging: every problem is a
 * {@link CniException} whose message names the field.
 *
 * <p>Which code for which problem: bytes that are not a JSON object are 6 (decoding failure); a known field with a
 * wrong type or value, or a missing required field, is 7 (invalid network config); a field we refuse to act on
 * ({@code ipam}) is 2 (unsupported field, key and value in the message); a {@code cniVersion} we do not speak is 1.
 * Unknown fields are ignored: runtimes pass through keys meant for other tools.
 */
public final class CniCodec {
    /** {@code name} (and container ids, per the spec): an alphanumeric, then alphanumerics, '_', '.', '-'. */
    public static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.\\-]*");
    /** Longest unix socket path (sun_path is 108 bytes with the terminating NUL). */
    public static final int MAX_SOCKET_PATH = 107;

    static final ObjectMapper JSON = new ObjectMapper();

    private CniCodec() {
    }

    // ---- configuration

    /** Decodes and checks a request configuration (stdin). */
    public static PluginConfig decodeConfig(byte[] stdin) {
        return decodeConfig(parse(stdin, "network config on stdin"));
    }

    /** Decodes and checks a request configuration already parsed as JSON. */
    public static PluginConfig decodeConfig(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new CniException(CniErrorCode.DECODING_FAILURE, "network config is not a JSON object",
                    root == null ? "empty input" : "got " + Fields.describe(root));
        }
        String version = Fields.string(root, "", "cniVersion", true);
        if (!CniVersions.isSupported(version)) {
            throw new CniException(CniErrorCode.INCOMPATIBLE_VERSION, "incompatible CNI versions",
                    "cniVersion is \"" + version + "\", plugin supports " + CniVersions.SUPPORTED);
        }
        List<String> versions = Fields.strings(root, "", "cniVersions");
        String name = Fields.string(root, "", "name", true);
        if (!NAME.matcher(name).matches()) {
            throw CniException.badConfig("name", "must start with a letter or digit, then letters, digits, '_', "
                    + "'.' or '-', got \"" + name + "\"");
        }
        String type = Fields.string(root, "", "type", true);
        if (!PluginConfig.isOurType(type)) {
            throw CniException.badConfig("type", "is \"" + type + "\", expected \"" + PluginConfig.TYPE
                    + "\" (or \"" + PluginConfig.TYPE + "-SUFFIX\" for a launcher installed under that name)");
        }
        refuseForeignSections(root);
        Integer mtu = Fields.integer(root, "", "mtu", PluginConfig.MIN_MTU, PluginConfig.MAX_MTU);
        JsonNode dns = root.get("dns");
        JsonNode prev = root.get("prevResult");
        JsonNode runtime = root.get("runtimeConfig");
        InetAddress wantedIp = null;
        MacAddress wantedMac = null;
        if (runtime != null && !runtime.isNull()) {
            Fields.object(runtime, "runtimeConfig");
            wantedIp = runtimeIp(runtime);
            String mac = Fields.string(runtime, "runtimeConfig", "mac", false);
            wantedMac = mac == null ? null : mac(mac, "runtimeConfig.mac");
        }
        if (root.has("args") && !root.get("args").isNull()) {
            Fields.object(root.get("args"), "args");
        }
        Fields.bool(root, "", "disableCheck");
        return new PluginConfig(version, versions, name, type, agentSocket(root), mtu == null ? 0 : mtu,
                dns == null || dns.isNull() ? null : decodeDns(dns, "dns"),
                wantedIp, wantedMac,
                prev == null || prev.isNull() ? null : decodeResult(prev, "prevResult"),
                validAttachments(root));
    }

    private static void refuseForeignSections(JsonNode root) {
        if (root.has("ipam") && !root.get("ipam").isNull()) {
            throw new CniException(CniErrorCode.UNSUPPORTED_FIELD, "unsupported field: ipam="
                    + Fields.describe(root.get("ipam")), "edgelink allocates pod addresses from the node's pod CIDR "
                    + "itself; remove the ipam section from the conflist entry of type edgelink");
        }
        if (root.has("plugins")) {
            throw CniException.badConfig("plugins", "is present: this is a whole network configuration list, but a "
                    + "plugin gets one entry of it (the runtime derives it; see SPEC.md section 3)");
        }
    }

    private static Path agentSocket(JsonNode root) {
        String text = Fields.string(root, "", "agentSocket", false);
        if (text == null) {
            return PluginConfig.DEFAULT_AGENT_SOCKET;
        }
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (!text.startsWith("/") || text.indexOf('\0') >= 0 || bytes > MAX_SOCKET_PATH) {
            throw CniException.badConfig("agentSocket", "must be an absolute path of at most " + MAX_SOCKET_PATH
                    + " bytes, got \"" + text + "\"");
        }
        return Path.of(text);
    }

    private static InetAddress runtimeIp(JsonNode runtime) {
        List<String> ips = Fields.strings(runtime, "runtimeConfig", "ips");
        for (int i = 0; i < ips.size(); i++) {
            String text = ips.get(i);
            int slash = text.indexOf('/');
            InetAddress a = Fields.address(slash < 0 ? text : text.substring(0, slash),
                    "runtimeConfig.ips[" + i + "]");
            if (a instanceof Inet4Address) {
                return a;
            }
        }
        return null;
    }

    private static List<GcAttachment> validAttachments(JsonNode root) {
        String field = root.has("cni.dev/valid-attachments") ? "cni.dev/valid-attachments" : "cni.dev/attachments";
        if (!root.has(field) || root.get(field).isNull()) {
            return null;
        }
        List<GcAttachment> out = new ArrayList<>();
        List<JsonNode> items = Fields.objects(root, "", field);
        for (int i = 0; i < items.size(); i++) {
            String at = field + "[" + i + "]";
            out.add(new GcAttachment(Fields.string(items.get(i), at, "containerID", true),
                    Fields.string(items.get(i), at, "ifname", true)));
        }
        return out;
    }

    static MacAddress mac(String text, String path) {
        try {
            return MacAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw CniException.badConfig(path, "is not a MAC address (xx:xx:xx:xx:xx:xx): \"" + text + "\"");
        }
    }

    // ---- CNI_ARGS

    /**
     * Parses CNI_ARGS ({@code "IgnoreUnknown=1;IP=10.244.1.9;MAC=..."}). A pair without '=', or an {@code IP=} or
     * {@code MAC=} that does not parse, is code 4 naming CNI_ARGS and the key.
     */
    public static CniArgs parseArgs(String text) {
        if (text == null || text.isEmpty()) {
            return CniArgs.NONE;
        }
        Map<String, String> all = new LinkedHashMap<>();
        for (String pair : text.split(";", -1)) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw CniException.badEnvironment("CNI_ARGS", "has \"" + pair + "\", which is not KEY=VALUE");
            }
            all.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        InetAddress ip = null;
        MacAddress mac = null;
        if (all.containsKey("IP")) {
            String v = all.get("IP");
            int slash = v.indexOf('/');
            try {
                ip = Addresses.parse(slash < 0 ? v : v.substring(0, slash));
            } catch (IllegalArgumentException e) {
                throw CniException.badEnvironment("CNI_ARGS", "IP=" + v + " is not an IP address");
            }
        }
        if (all.containsKey("MAC")) {
            try {
                mac = MacAddress.parse(all.get("MAC"));
            } catch (IllegalArgumentException e) {
                throw CniException.badEnvironment("CNI_ARGS", "MAC=" + all.get("MAC") + " is not a MAC address");
            }
        }
        return new CniArgs(all, ip, mac);
    }

    // ---- results

    /** Decodes a result (a {@code prevResult}, or a plugin's output); {@code path} prefixes field names in errors. */
    public static CniResult decodeResult(JsonNode node, String path) {
        Fields.object(node, path);
        List<CniResult.Interface> interfaces = new ArrayList<>();
        List<JsonNode> ifs = Fields.objects(node, path, "interfaces");
        for (int i = 0; i < ifs.size(); i++) {
            String at = Fields.path(path, "interfaces") + "[" + i + "]";
            JsonNode n = ifs.get(i);
            interfaces.add(new CniResult.Interface(Fields.string(n, at, "name", true),
                    Fields.string(n, at, "mac", false), Fields.integer(n, at, "mtu", 0, 0xffffffffL),
                    Fields.string(n, at, "sandbox", false), Fields.string(n, at, "socketPath", false),
                    Fields.string(n, at, "pciID", false)));
        }
        List<CniResult.IpConfig> ips = new ArrayList<>();
        List<JsonNode> ipNodes = Fields.objects(node, path, "ips");
        for (int i = 0; i < ipNodes.size(); i++) {
            String at = Fields.path(path, "ips") + "[" + i + "]";
            JsonNode n = ipNodes.get(i);
            Integer index = Fields.integer(n, at, "interface", 0, Integer.MAX_VALUE);
            if (index != null && index >= interfaces.size()) {
                throw CniException.badConfig(Fields.path(at, "interface"), "is " + index + " but there are "
                        + interfaces.size() + " interfaces");
            }
            ips.add(new CniResult.IpConfig(Fields.prefix(n, at, "address", true),
                    Fields.address(n, at, "gateway", false), index));
        }
        List<CniResult.RouteEntry> routes = new ArrayList<>();
        List<JsonNode> routeNodes = Fields.objects(node, path, "routes");
        for (int i = 0; i < routeNodes.size(); i++) {
            String at = Fields.path(path, "routes") + "[" + i + "]";
            JsonNode n = routeNodes.get(i);
            routes.add(new CniResult.RouteEntry(Fields.prefix(n, at, "dst", true), Fields.address(n, at, "gw", false),
                    Fields.integer(n, at, "mtu", 0, 0xffffffffL), Fields.integer(n, at, "advmss", 0, 0xffffffffL),
                    Fields.integer(n, at, "priority", 0, 0xffffffffL), Fields.integer(n, at, "table", 0, 0xffffffffL),
                    Fields.integer(n, at, "scope", 0, 255)));
        }
        String version = Fields.string(node, path, "cniVersion", false);
        JsonNode dns = node.get("dns");
        return new CniResult(version == null ? "" : version, interfaces, ips, routes,
                dns == null || dns.isNull() ? null : decodeDns(dns, Fields.path(path, "dns")));
    }

    static CniResult.Dns decodeDns(JsonNode dns, String path) {
        Fields.object(dns, path);
        List<String> nameservers = Fields.strings(dns, path, "nameservers");
        for (int i = 0; i < nameservers.size(); i++) {
            Fields.address(nameservers.get(i), path + ".nameservers[" + i + "]");
        }
        return new CniResult.Dns(nameservers, Fields.string(dns, path, "domain", false),
                Fields.strings(dns, path, "search"), Fields.strings(dns, path, "options"));
    }

    /** The result as the JSON of {@code version} (fields that version lacks are left out). */
    public static ObjectNode encodeResult(CniResult result, String version) {
        boolean v1 = CniVersions.atLeast(version, "1.0.0");
        boolean v11 = CniVersions.atLeast(version, "1.1.0");
        ObjectNode root = JSON.createObjectNode();
        root.put("cniVersion", version);
        if (!result.interfaces().isEmpty()) {
            ArrayNode ifs = root.putArray("interfaces");
            for (CniResult.Interface i : result.interfaces()) {
                ObjectNode n = ifs.addObject().put("name", i.name());
                putIf(n, "mac", i.mac());
                if (v11 && i.mtu() != null) {
                    n.put("mtu", i.mtu());
                }
                putIf(n, "sandbox", i.sandbox());
                putIf(n, "socketPath", v11 ? i.socketPath() : null);
                putIf(n, "pciID", v11 ? i.pciId() : null);
            }
        }
        ArrayNode ips = root.putArray("ips");
        for (CniResult.IpConfig ip : result.ips()) {
            ObjectNode n = ips.addObject();
            if (!v1) {
                n.put("version", ip.address().address() instanceof Inet4Address ? "4" : "6");
            }
            n.put("address", Addresses.format(ip.address()));
            putIf(n, "gateway", ip.gateway() == null ? null : Addresses.format(ip.gateway()));
            if (ip.interfaceIndex() != null) {
                n.put("interface", ip.interfaceIndex());
            }
        }
        if (!result.routes().isEmpty()) {
            ArrayNode routes = root.putArray("routes");
            for (CniResult.RouteEntry r : result.routes()) {
                ObjectNode n = routes.addObject().put("dst", Addresses.format(r.dst()));
                putIf(n, "gw", r.gw() == null ? null : Addresses.format(r.gw()));
                if (v11) {
                    putIf(n, "mtu", r.mtu());
                    putIf(n, "advmss", r.advmss());
                    putIf(n, "priority", r.priority());
                    putIf(n, "table", r.table());
                    putIf(n, "scope", r.scope());
                }
            }
        }
        if (result.dns() != null) {
            root.set("dns", encodeDns(result.dns()));
        }
        return root;
    }

    private static ObjectNode encodeDns(CniResult.Dns dns) {
        ObjectNode n = JSON.createObjectNode();
        if (!dns.nameservers().isEmpty()) {
            dns.nameservers().forEach(n.putArray("nameservers")::add);
        }
        putIf(n, "domain", dns.domain());
        if (!dns.search().isEmpty()) {
            dns.search().forEach(n.putArray("search")::add);
        }
        if (!dns.options().isEmpty()) {
            dns.options().forEach(n.putArray("options")::add);
        }
        return n;
    }

    private static void putIf(ObjectNode n, String field, String value) {
        if (value != null) {
            n.put(field, value);
        }
    }

    private static void putIf(ObjectNode n, String field, Integer value) {
        if (value != null) {
            n.put(field, value);
        }
    }

    // ---- errors and VERSION

    /** The error result ({@code cniVersion}, {@code code}, {@code msg}, {@code details} when not empty). */
    public static ObjectNode encodeError(CniException e, String version) {
        ObjectNode n = JSON.createObjectNode().put("cniVersion", version).put("code", e.code()).put("msg", e.msg());
        if (!e.details().isEmpty()) {
            n.put("details", e.details());
        }
        return n;
    }

    /** Reads an error result back (code 101 if it is not one). */
    public static CniException decodeError(JsonNode n) {
        if (n == null || !n.isObject() || !n.path("code").canConvertToInt() || !n.path("msg").isTextual()) {
            return new CniException(CniErrorCode.AGENT_PROTOCOL, "malformed error from the agent",
                    n == null ? "none" : Fields.describe(n));
        }
        return new CniException(n.get("code").asInt(), n.get("msg").asText(), n.path("details").asText(""), null);
    }

    /** The VERSION answer. */
    public static ObjectNode encodeVersion(String version) {
        ObjectNode n = JSON.createObjectNode().put("cniVersion", version);
        CniVersions.SUPPORTED.forEach(n.putArray("supportedVersions")::add);
        return n;
    }

    // ---- bytes

    /** Parses JSON; code 6 when the bytes are not JSON. */
    public static JsonNode parse(byte[] bytes, String what) {
        if (bytes.length == 0) {
            throw new CniException(CniErrorCode.DECODING_FAILURE, what + " is empty", "expected a JSON object");
        }
        try {
            JsonNode node = JSON.readTree(bytes);
            if (node == null || node.isMissingNode()) {
                throw new CniException(CniErrorCode.DECODING_FAILURE, what + " is empty", "expected a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw new CniException(CniErrorCode.DECODING_FAILURE, what + " is not valid JSON", oneLine(e));
        }
    }

    private static String oneLine(IOException e) {
        String m = e instanceof JsonProcessingException ? ((JsonProcessingException) e).getOriginalMessage()
                : e.getMessage();
        return String.valueOf(m).replace('\n', ' ');
    }

    public static byte[] bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }

    public static ObjectNode newObject() {
        return JSON.createObjectNode();
    }
}
