package dev.edgelink.lab;

/**
 * The CNI network configuration list a lab node's pods get, rendered for a network name the lab chooses (unique
 * per node and run: podman's store and the CNI cache are shared by all nodes). Until the edgelink plugin exists
 * the harness tests itself with {@link #referenceBridge}; an edgelink conflist is swapped in the same way.
 */
@FunctionalInterface
public interface Conflist {
    /** The conflist JSON with {@code "name": networkName}. */
    String render(String networkName);

    /**
     * A template with the placeholder {@code @NAME@} where the network name goes, e.g.
     * {@code {"cniVersion":"1.0.0","name":"@NAME@","plugins":[{"type":"edgelink", ...}]}}.
     */
    static Conflist template(String json) {
        if (!json.contains("@NAME@")) {
            throw new IllegalArgumentException("a conflist template needs an @NAME@ placeholder for the name");
        }
        return name -> json.replace("@NAME@", name);
    }

    /**
     * Debian's reference {@code bridge} + {@code host-local} plugins (from /usr/lib/cni): bridge {@code cni0} in
     * the node's namespace with the first address of {@code subnet} as the pods' gateway, no masquerade.
     */
    static Conflist referenceBridge(String subnet) {
        return referenceBridge(subnet, "cni0");
    }

    /**
     * As {@link #referenceBridge(String)} with bridge {@code bridge}. Two networks on one node (podman's and
     * ctr's) need different bridges: the plugin refuses a bridge that already has another subnet's gateway.
     */
    static Conflist referenceBridge(String subnet, String bridge) {
        Addresses.prefixLength(subnet);
        Addresses.iface(bridge);
        return name -> "{\n"
                + "  \"cniVersion\": \"0.4.0\",\n"
                + "  \"name\": \"" + name + "\",\n"
                + "  \"plugins\": [\n"
                + "    {\n"
                + "      \"type\": \"bridge\",\n"
                + "      \"bridge\": \"" + bridge + "\",\n"
                + "      \"isGateway\": true,\n"
                + "      \"ipMasq\": false,\n"
                + "      \"ipam\": {\n"
                + "        \"type\": \"host-local\",\n"
                + "        \"ranges\": [[{\"subnet\": \"" + subnet + "\"}]],\n"
                + "        \"routes\": [{\"dst\": \"0.0.0.0/0\"}]\n"
                + "      }\n"
                + "    }\n"
                + "  ]\n"
                + "}\n";
    }
}
