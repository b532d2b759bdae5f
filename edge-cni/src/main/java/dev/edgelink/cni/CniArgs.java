package dev.edgelink.cni;

import dev.edgelink.net.MacAddress;
import java.net.InetAddress;
import java.util.Map;
import java.util.Objects;

/**
 * CNI_ARGS ({@code "K=V;K=V"}): every pair as given, and the two keys we act on, {@code IP=} (a wanted address;
 * a prefix length after it is ignored, the pod CIDR decides) and {@code MAC=}. Other keys (podman's
 * {@code IgnoreUnknown}, {@code K8S_POD_NAME}, ...) are kept but not used.
 *
 * @param all every pair in order of appearance
 * @param ip the address of {@code IP=}, or {@code null}
 * @param mac the address of {@code MAC=}, or {@code null}
 */
public record CniArgs(Map<String, String> all, InetAddress ip, MacAddress mac) {
    public static final CniArgs NONE = new CniArgs(Map.of(), null, null);

    public CniArgs {
        all = Map.copyOf(Objects.requireNonNull(all, "all"));
    }
}
