package dev.edgelink.cni.internal.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgelink.cni.CniErrorCode;
import dev.edgelink.cni.CniException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The messages between the plugin client and the agent on the unix socket. One request per connection:
 *
 * <pre>
 *  client                                             agent
 *    connect(agentSocket)
 *    request JSON, then shutdown(SHUT_WR)  ----------&gt;  reads to EOF (at most maxRequestBytes)
 *                                         &lt;----------  response JSON, then close
 *
 *  request   {"edgelink-cni": 1,
 *             "env":    {"CNI_COMMAND": "ADD", "CNI_CONTAINERID": "...", "CNI_NETNS": "...", "CNI_IFNAME": "eth0",
 *                        "CNI_ARGS": "...", "CNI_PATH": "..."},      only the CNI_* variables that were set
 *             "config": { the stdin configuration, unchanged }}
 *  response  {"edgelink-cni": 1, "result": { ADD result in the config's cniVersion }}      ADD succeeded
 *            {"edgelink-cni": 1}                                                         other command succeeded
 *            {"edgelink-cni": 1, "error": {"code": 7, "msg": "...", "details": "..."}}     failed
 * </pre>
 *
 * The agent validates the request exactly as the client does ({@link RequestCodec}); the client prints the
 * result or error with the config's {@code cniVersion}. A different {@code edgelink-cni} number is code 101.
 */
public final class AgentProtocol {
    public static final int VERSION = 1;
    public static final String VERSION_FIELD = "edgelink-cni";

    private AgentProtocol() {
    }

    /** A decoded request: the CNI_* variables and the configuration JSON. */
    public record Request(Map<String, String> env, JsonNode config) {
    }

    public static byte[] encodeRequest(Map<String, String> env, JsonNode config) {
        ObjectNode root = CniCodec.newObject().put(VERSION_FIELD, VERSION);
        ObjectNode e = root.putObject("env");
        for (String name : RequestCodec.VARIABLES) {
            if (env.get(name) != null) {
                e.put(name, env.get(name));
            }
        }
        root.set("config", config);
        return CniCodec.bytes(root);
    }

    public static Request decodeRequest(byte[] bytes) {
        JsonNode root = CniCodec.parse(bytes, "request from the plugin client");
        checkVersion(root);
        JsonNode env = root.get("env");
        if (env == null || !env.isObject()) {
            throw new CniException(CniErrorCode.DECODING_FAILURE, "request has no env object", "");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : RequestCodec.VARIABLES) {
            JsonNode v = env.get(name);
            if (v != null && v.isTextual()) {
                out.put(name, v.asText());
            }
        }
        return new Request(out, root.get("config"));
    }

    public static byte[] encodeSuccess(JsonNode result) {
        ObjectNode root = CniCodec.newObject().put(VERSION_FIELD, VERSION);
        if (result != null) {
            root.set("result", result);
        }
        return CniCodec.bytes(root);
    }

    public static byte[] encodeFailure(CniException e) {
        ObjectNode root = CniCodec.newObject().put(VERSION_FIELD, VERSION);
        ObjectNode err = root.putObject("error").put("code", e.code()).put("msg", e.msg());
        if (!e.details().isEmpty()) {
            err.put("details", e.details());
        }
        return CniCodec.bytes(root);
    }

    /**
     * Reads a response: the result JSON (or {@code null} for a success without one); a failure is thrown as the
     * agent's {@link CniException}; a malformed response is code 101.
     */
    public static JsonNode decodeResponse(byte[] bytes) {
        JsonNode root;
        try {
            root = CniCodec.parse(bytes, "response from the agent");
        } catch (CniException e) {
            throw new CniException(CniErrorCode.AGENT_PROTOCOL, "malformed response from the agent", e.details());
        }
        checkVersion(root);
        if (root.has("error")) {
            throw CniCodec.decodeError(root.get("error"));
        }
        JsonNode result = root.get("result");
        if (result != null && !result.isObject()) {
            throw new CniException(CniErrorCode.AGENT_PROTOCOL, "malformed response from the agent",
                    "result is not an object");
        }
        return result;
    }

    private static void checkVersion(JsonNode root) {
        if (!root.isObject() || root.path(VERSION_FIELD).asInt(-1) != VERSION) {
            throw new CniException(CniErrorCode.AGENT_PROTOCOL, "edgelink CNI protocol mismatch",
                    "expected " + VERSION_FIELD + " " + VERSION + ", got " + Fields.describe(root.path(VERSION_FIELD))
                            + "; install the plugin launcher of the same edgelink version as the agent");
        }
    }
}
