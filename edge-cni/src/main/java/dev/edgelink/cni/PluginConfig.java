package dev.edgelink.cni;

import dev.edgelink.net.MacAddress;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The request configuration the runtime passes on stdin for our entry of a conflist ({@code "type": "edgelink"}).
 * Every setting of the plugin comes from here or from the CNI_* variables, never from other environment variables
 * (DEL often runs with a stripped environment).
 *
 * <pre>
 * {
 *   "cniVersion": "1.1.0",                       required, one of {@link CniVersions#SUPPORTED}
 *   "cniVersions": ["1.0.0", "1.1.0"],           optional, list of strings (passed through by runtimes)
 *   "name": "edgelink",                          required, [a-zA-Z0-9][a-zA-Z0-9_.-]*
 *   "type": "edgelink",                          required, exactly "edgelink"
 *   "agentSocket": "/run/edgelink/cni.sock",     optional absolute path (default shown)
 *   "mtu": 1400,                                 optional 576..65535; overrides the MTU the agent computes
 *   "dns": { "nameservers": [...], ... },        optional, copied into the ADD result
 *   "runtimeConfig": { "ips": [...], "mac": "" } optional; the first IPv4 of ips and mac are honoured
 *   "prevResult": { ... },                       optional on ADD, expected on CHECK, optional on DEL
 *   "cni.dev/valid-attachments": [ ... ]         GC only (also accepted as cni.dev/attachments)
 * }
 * </pre>
 *
 * <p>An {@code ipam} section is refused with code 2: edgelink allocates from the node's pod CIDR itself.
 *
 * @param mtu the conflist's MTU, or 0 to use the agent's
 * @param requestedIp runtimeConfig's first IPv4 of {@code ips}, or {@code null}
 * @param requestedMac runtimeConfig's {@code mac}, or {@code null}
 * @param validAttachments GC's list of attachments to keep, or {@code null} when the field is absent
 */
public record PluginConfig(String cniVersion, List<String> cniVersions, String name, String type, Path agentSocket,
                           int mtu, CniResult.Dns dns, InetAddress requestedIp, MacAddress requestedMac,
                           CniResult prevResult, List<GcAttachment> validAttachments) {
    public static final String TYPE = "edgelink";
    public static final Path DEFAULT_AGENT_SOCKET = Path.of("/run/edgelink/cni.sock");
    public static final int MIN_MTU = 576;
    public static final int MAX_MTU = 65535;

    public PluginConfig {
        Objects.requireNonNull(cniVersion, "cniVersion");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(agentSocket, "agentSocket");
        cniVersions = cniVersions == null ? List.of() : List.copyOf(cniVersions);
        validAttachments = validAttachments == null ? null : List.copyOf(validAttachments);
    }

    /**
     * Whether {@code type} names this plugin: {@code edgelink}, or {@code edgelink-SUFFIX} for a launcher installed
     * under another file name (side by side with another install, e.g. one per lab run).
     */
    public static boolean isOurType(String type) {
        return TYPE.equals(type) || type.startsWith(TYPE + "-") && type.length() > TYPE.length() + 1;
    }

    /** A minimal configuration (tests, and the agent's own probes). */
    public static PluginConfig of(String cniVersion, String name) {
        return new PluginConfig(cniVersion, List.of(), name, TYPE, DEFAULT_AGENT_SOCKET, 0, null, null, null, null,
                null);
    }

    public PluginConfig withPrevResult(CniResult prev) {
        return new PluginConfig(cniVersion, cniVersions, name, type, agentSocket, mtu, dns, requestedIp,
                requestedMac, prev, validAttachments);
    }

    public PluginConfig withValidAttachments(List<GcAttachment> valid) {
        return new PluginConfig(cniVersion, cniVersions, name, type, agentSocket, mtu, dns, requestedIp,
                requestedMac, prevResult, valid);
    }
}
