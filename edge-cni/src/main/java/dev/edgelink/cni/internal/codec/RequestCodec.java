package dev.edgelink.cni.internal.codec;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.cni.CniArgs;
import dev.edgelink.cni.CniCommand;
import dev.edgelink.cni.CniErrorCode;
import dev.edgelink.cni.CniException;
import dev.edgelink.cni.CniRequest;
import dev.edgelink.cni.CniVersions;
import dev.edgelink.cni.PluginConfig;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * CNI_* variables + stdin configuration to a {@link CniRequest}, with every check the spec asks for: required
 * variables per command (code 4 naming them), container id and interface name syntax, the versions that allow
 * CHECK (0.4.0), STATUS and GC (1.1.0) (code 1), and the fields a command needs ({@code prevResult} for CHECK,
 * {@code cni.dev/valid-attachments} for GC; code 7). Only the six variables the spec defines are read.
 */
public final class RequestCodec {
    /** The environment variables the spec defines; nothing else of the environment is ever read. */
    public static final List<String> VARIABLES = List.of("CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS",
            "CNI_IFNAME", "CNI_ARGS", "CNI_PATH");
    /** Linux IFNAMSIZ (16) minus the terminating NUL. */
    public static final int MAX_IFNAME_BYTES = 15;

    private RequestCodec() {
    }

    /** The command alone (code 4 when CNI_COMMAND is missing or unknown). */
    public static CniCommand command(Map<String, String> env) {
        String text = env.get("CNI_COMMAND");
        if (text == null || text.isEmpty()) {
            throw CniException.badEnvironment("CNI_COMMAND", "is missing (one of ADD, DEL, CHECK, STATUS, GC, "
                    + "VERSION)");
        }
        return CniCommand.parse(text).orElseThrow(() -> CniException.badEnvironment("CNI_COMMAND",
                "is \"" + text + "\", not one of ADD, DEL, CHECK, STATUS, GC, VERSION"));
    }

    /** Decodes a request for any command but VERSION. */
    public static CniRequest decode(Map<String, String> env, byte[] stdin) {
        return decode(env, CniCodec.parse(stdin, "network config on stdin"));
    }

    /** Decodes a request whose configuration is already parsed. */
    public static CniRequest decode(Map<String, String> env, JsonNode configJson) {
        CniCommand command = command(env);
        if (command == CniCommand.VERSION) {
            throw CniException.badEnvironment("CNI_COMMAND", "is VERSION, which carries no request");
        }
        PluginConfig config = CniCodec.decodeConfig(configJson);
        String containerId = value(env, "CNI_CONTAINERID");
        String netns = value(env, "CNI_NETNS");
        String ifname = value(env, "CNI_IFNAME");
        if (command.isAttachment()) {
            checkContainerId(containerId);
            checkIfname(ifname);
            if (command != CniCommand.DEL && netns.isEmpty()) {
                throw CniException.badEnvironment("CNI_NETNS", "is missing (required for " + command + ")");
            }
            if (!netns.isEmpty() && !netns.startsWith("/")) {
                throw CniException.badEnvironment("CNI_NETNS", "must be an absolute path, got \"" + netns + "\"");
            }
        }
        checkVersionAllows(command, config.cniVersion());
        if (command == CniCommand.CHECK && config.prevResult() == null) {
            throw CniException.badConfig("prevResult", "is missing (CHECK compares against the result of ADD)");
        }
        if (command == CniCommand.GC && config.validAttachments() == null) {
            throw CniException.badConfig("cni.dev/valid-attachments", "is missing (GC removes only what is not "
                    + "in it, so it must be given, even empty)");
        }
        CniArgs args = CniCodec.parseArgs(value(env, "CNI_ARGS"));
        return new CniRequest(command, containerId, netns, ifname, args, value(env, "CNI_PATH"), config);
    }

    private static String value(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null ? "" : v;
    }

    static void checkContainerId(String id) {
        if (id.isEmpty()) {
            throw CniException.badEnvironment("CNI_CONTAINERID", "is missing");
        }
        if (!CniCodec.NAME.matcher(id).matches()) {
            throw CniException.badEnvironment("CNI_CONTAINERID", "must start with a letter or digit, then letters, "
                    + "digits, '_', '.' or '-', got \"" + id + "\"");
        }
    }

    static void checkIfname(String name) {
        if (name.isEmpty()) {
            throw CniException.badEnvironment("CNI_IFNAME", "is missing");
        }
        boolean bad = name.equals(".") || name.equals("..")
                || name.getBytes(StandardCharsets.UTF_8).length > MAX_IFNAME_BYTES;
        for (int i = 0; i < name.length() && !bad; i++) {
            char c = name.charAt(i);
            bad = c == '/' || c == ':' || Character.isWhitespace(c) || c < 0x20;
        }
        if (bad) {
            throw CniException.badEnvironment("CNI_IFNAME", "is not a valid interface name (1..15 bytes, not '.' or "
                    + "'..', no '/', ':' or whitespace): \"" + name + "\"");
        }
    }

    static void checkVersionAllows(CniCommand command, String version) {
        String minimum = command == CniCommand.CHECK ? "0.4.0"
                : command == CniCommand.STATUS || command == CniCommand.GC ? "1.1.0" : null;
        if (minimum != null && !CniVersions.atLeast(version, minimum)) {
            throw new CniException(CniErrorCode.INCOMPATIBLE_VERSION, "config version does not allow " + command,
                    command + " needs cniVersion " + minimum + " or later, the config says " + version);
        }
    }
}
