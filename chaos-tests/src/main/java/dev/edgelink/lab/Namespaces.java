package dev.edgelink.lab;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Host-side operations on namespaces, mounts and directories that the lab made. */
final class Namespaces {
    private Namespaces() {
    }

    /** The names of all named network namespaces ({@code ip netns list}). */
    static List<String> list() {
        List<String> out = new ArrayList<>();
        for (String line : Commands.run(List.of("ip", "netns", "list")).check().stdout().split("\n")) {
            if (!line.isBlank()) {
                out.add(line.trim().split("\\s+")[0]);
            }
        }
        return out;
    }

    static boolean exists(String ns) {
        return Files.exists(Path.of("/run/netns", ns));
    }

    /**
     * Kills (by PID) whatever still runs in one of our namespaces, then deletes it. The processes are ours: they
     * run in a namespace this lab created.
     */
    static void delete(String ns) {
        if (!exists(ns)) {
            return;
        }
        for (int round = 0; round < 2; round++) {
            List<ProcessHandle> inside = new ArrayList<>();
            for (String pid : Commands.run(List.of("ip", "netns", "pids", ns)).stdout().split("\\s+")) {
                if (pid.matches("\\d+")) {
                    ProcessHandle.of(Long.parseLong(pid)).ifPresent(inside::add);
                }
            }
            if (inside.isEmpty()) {
                break;
            }
            for (ProcessHandle h : inside) {
                Commands.killTree(h, round == 0 ? Duration.ofSeconds(1) : Duration.ZERO);
            }
        }
        Commands.run(List.of("ip", "netns", "del", ns)).check();
    }

    /** Mount points at or under {@code dir} (containerd leaves rootfs mounts there while tasks live). */
    static List<String> mountsUnder(Path dir) {
        List<String> out = new ArrayList<>();
        String d = dir.toAbsolutePath().toString();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                if (f.length > 4 && (f[4].equals(d) || f[4].startsWith(d + "/"))) {
                    out.add(f[4]);
                }
            }
        } catch (IOException e) {
            throw new LabException("cannot read /proc/self/mountinfo", e);
        }
        return out;
    }

    /** Unmounts whatever is mounted under {@code dir} (deepest first), then deletes the tree. */
    static void deleteTree(Path dir) {
        List<String> mounts = mountsUnder(dir);
        mounts.sort(Comparator.comparingInt(String::length).reversed());
        for (String m : mounts) {
            Commands.run(List.of("umount", "-l", m)).check();
        }
        if (!Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    if (e != null) {
                        throw e;
                    }
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new LabException("cannot delete " + dir + ": " + e, e);
        }
    }
}
