package dev.edgelink.lab.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.edgelink.lab.Lab;
import java.nio.file.Files;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/** What the suites that share one cluster across their tests do around it: a dump on failure, a checked teardown. */
final class ClusterLifecycle {
    private ClusterLifecycle() {
    }

    /** A watcher that prints every agent's state when a test fails (register it with {@code @RegisterExtension}). */
    static TestWatcher dumpOnFailure(Supplier<EdgelinkCluster> cluster) {
        return new TestWatcher() {
            @Override
            public void testFailed(ExtensionContext context, Throwable cause) {
                EdgelinkCluster c = cluster.get();
                if (c != null) {
                    System.out.println("=== " + context.getDisplayName() + " failed; the agents now:" + c.describe());
                }
            }
        };
    }

    /** Closes the cluster (or only the lab, if no cluster was made) and checks that nothing of either is left. */
    static void tearDown(Lab lab, EdgelinkCluster cluster) {
        if (cluster != null) {
            cluster.close();
            assertFalse(Files.exists(cluster.launcher()), "the CNI launcher is removed");
        } else if (lab != null) {
            lab.close();
        }
        if (lab != null) {
            assertEquals(List.of(), lab.leftovers(), "nothing of the lab is left");
        }
    }
}
