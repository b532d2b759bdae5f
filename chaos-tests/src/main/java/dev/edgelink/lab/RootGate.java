package dev.edgelink.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Lab tests need root. Without it they fail, because CI runs as root and a silently skipped lab test there would
 * hide a broken lab; {@code -Dedgelink.allowSkipLab=true} turns the failure into a skip for a developer who knows.
 */
public final class RootGate {
    /** The system property that lets lab tests be skipped without root. */
    public static final String ALLOW_SKIP = "edgelink.allowSkipLab";

    private RootGate() {
    }

    /** Fails (or aborts, with {@value #ALLOW_SKIP}) the current test unless we run as root. */
    public static void requireRoot() {
        check(effectiveUid(), Boolean.getBoolean(ALLOW_SKIP));
    }

    /** The decision, separated from the environment so that it is testable as any user. */
    static void check(long uid, boolean allowSkip) {
        if (uid == 0) {
            return;
        }
        String why = "lab tests need root (network namespaces, veth, nft, podman, containerd); uid is " + uid;
        if (allowSkip) {
            Assumptions.abort(why + "; skipped because " + ALLOW_SKIP + "=true");
        }
        Assertions.fail(why + ". Run as root (CI does), or pass -D" + ALLOW_SKIP
                + "=true to skip lab tests knowingly.");
    }

    /** The effective UID of this process, from /proc/self/status. */
    static long effectiveUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Long.parseLong(line.substring(4).trim().split("\\s+")[1]);
                }
            }
        } catch (IOException e) {
            throw new LabException("cannot read /proc/self/status to learn our uid", e);
        }
        throw new LabException("no Uid line in /proc/self/status");
    }
}
