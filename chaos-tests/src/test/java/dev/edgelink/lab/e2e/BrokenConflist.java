package dev.edgelink.lab.e2e;

import dev.edgelink.lab.ExecResult;
import dev.edgelink.lab.LabException;
import dev.edgelink.lab.Node;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** A podman run on a network whose conflist has {@code entry} as its only plugin; everything removed after. */
final class BrokenConflist {
    private BrokenConflist() {
    }

    /** Returns the result of {@code podman run}; the conflist and the container are gone when this returns. */
    static ExecResult podmanRun(EdgelinkCluster cluster, Node node, String entry) {
        String network = cluster.lab().prefix() + node.name() + "-broken";
        Path file = Path.of("/etc/cni/net.d", network + ".conflist");
        String name = network + "-pod";
        try {
            Files.writeString(file, "{\"cniVersion\":\"1.0.0\",\"name\":\"" + network + "\",\"plugins\":[" + entry
                    + "]}\n");
            return cluster.lab().podman().podman(node, Duration.ofSeconds(120), "run", "-d", "--network", network,
                    "--name", name, cluster.lab().podman().image(), "sleep", "1d");
        } catch (IOException e) {
            throw new LabException("cannot write " + file, e);
        } finally {
            cluster.lab().podman().podman(node, Duration.ofSeconds(60), "rm", "-f", "-t", "0", name);
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new LabException("cannot remove " + file, e);
            }
        }
    }
}
