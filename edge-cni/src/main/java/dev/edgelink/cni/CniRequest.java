package dev.edgelink.cni;

import java.util.Objects;

/**
 * One invocation of the plugin: the CNI_* parameters and the decoded stdin configuration.
 *
 * @param containerId CNI_CONTAINERID ("" for STATUS and GC)
 * @param netns CNI_NETNS, "" when the runtime gave none (DEL may come without one)
 * @param ifname CNI_IFNAME ("" for STATUS and GC)
 * @param path CNI_PATH as given, or ""
 */
public record CniRequest(CniCommand command, String containerId, String netns, String ifname, CniArgs args,
                         String path, PluginConfig config) {
    public CniRequest {
        Objects.requireNonNull(command, "command");
        containerId = containerId == null ? "" : containerId;
        netns = netns == null ? "" : netns;
        ifname = ifname == null ? "" : ifname;
        args = args == null ? CniArgs.NONE : args;
        path = path == null ? "" : path;
        Objects.requireNonNull(config, "config");
    }

    /** A request for one attachment (tests and the agent's own calls). */
    public static CniRequest of(CniCommand command, String containerId, String netns, String ifname,
                                PluginConfig config) {
        return new CniRequest(command, containerId, netns, ifname, CniArgs.NONE, "", config);
    }
}
