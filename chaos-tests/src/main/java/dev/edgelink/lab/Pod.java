package dev.edgelink.lab;

import java.nio.file.Path;
import java.time.Duration;

/** A container started by a real runtime on a lab node, with the address its CNI network gave it. */
public interface Pod {
    /** The runtime's name (or ID) of the container: {@code el-<id>-<node>-<name>}. */
    String name();

    /** The node whose namespace the CNI plugins ran in. */
    Node node();

    /** The pod's IPv4 address on its CNI network. */
    String ip();

    /** The pod's network namespace as a path ({@code /run/netns/...} or {@code /proc/<pid>/ns/net}). */
    Path netnsPath();

    /** Runs a command inside the container (default timeout 60 s); the result is not checked. */
    ExecResult exec(String... cmd);

    /** Runs a command inside the container with a timeout; the result is not checked. */
    ExecResult exec(Duration timeout, String... cmd);

    /** Removes the container through its runtime (which calls CNI DEL). Idempotent. */
    void remove();

    /** Whether {@code address} answers two pings from inside the pod within about two seconds. */
    default boolean ping(String address) {
        return exec(Duration.ofSeconds(5), "ping", "-c", "2", "-w", "3", Addresses.ipv4(address)).ok();
    }
}
