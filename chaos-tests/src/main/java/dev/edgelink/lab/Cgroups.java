package dev.edgelink.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The cgroups named after a lab. runc under containerd puts task {@code <id>} of containerd namespace {@code <ns>}
 * in cgroup {@code /<ns>/<id>} and removes only the leaf; the lab uses {@code el-<id>} as its containerd
 * namespace, so the parent is ours to remove. Works for cgroup v1 (one tree per controller) and v2.
 */
final class Cgroups {
    private static final Path ROOT = Path.of("/sys/fs/cgroup");

    private Cgroups() {
    }

    /** Existing cgroup directories called {@code name} directly under a hierarchy root. */
    static List<Path> named(String name) {
        List<Path> out = new ArrayList<>();
        if (Files.isDirectory(ROOT.resolve(name))) {
            out.add(ROOT.resolve(name));
        }
        try (Stream<Path> s = Files.list(ROOT)) {
            s.filter(Files::isDirectory).map(h -> h.resolve(name)).filter(Files::isDirectory).forEach(out::add);
        } catch (IOException e) {
            throw new LabException("cannot list " + ROOT, e);
        }
        return out;
    }

    /** rmdir of those directories, children first (a cgroup with processes in it stays, and is reported). */
    static void remove(String name) {
        for (Path top : named(name)) {
            try (Stream<Path> s = Files.walk(top)) {
                for (Path d : s.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
                    Commands.run(List.of("rmdir", d.toString())).check();
                }
            } catch (IOException e) {
                throw new LabException("cannot remove cgroup " + top, e);
            }
        }
    }
}
