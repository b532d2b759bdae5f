package dev.edgelink.libp2p.crypto;

import dev.edgelink.libp2p.ConfigurationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The permission check for files that hold a secret (the node key, the swarm key, a CA key). As ssh does with a
 * private key, a program refuses one that other users may read or change: its secret must then be taken as known.
 * What counts are the file's group and other mode bits (any of 077); on a file system without POSIX permissions
 * there is nothing to check.
 */
public final class KeyFiles {

    private static final Set<PosixFilePermission> GROUP_AND_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private KeyFiles() {
    }

    /**
     * Refuses a key file that group or others have any permission on. A missing or unreadable file passes: reading
     * it is where that is reported.
     *
     * @throws ConfigurationException naming the file, its mode and the {@code chmod 600} that fixes it
     */
    public static void requirePrivate(Path file) {
        Optional<Set<PosixFilePermission>> mode = openMode(file);
        if (mode.isPresent()) {
            throw new ConfigurationException("key file " + file + " has mode " + octal(mode.get()) + " ("
                    + PosixFilePermissions.toString(mode.get()) + "): other users may read or change the secret in"
                    + " it; run chmod 600 " + file + " (and replace the key if someone else did read it)");
        }
    }

    /** The file's permissions when group or others have any of them; empty otherwise (or when not to be had). */
    static Optional<Set<PosixFilePermission>> openMode(Path file) {
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            for (PosixFilePermission p : mode) {
                if (GROUP_AND_OTHERS.contains(p)) {
                    return Optional.of(mode);
                }
            }
            return Optional.empty();
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    /** The mode as four octal digits, e.g. {@code 0644}. */
    static String octal(Set<PosixFilePermission> mode) {
        int bits = 0;
        for (PosixFilePermission p : mode) {
            bits |= 1 << (8 - p.ordinal());
        }
        return String.format("0%03o", bits);
    }
}
