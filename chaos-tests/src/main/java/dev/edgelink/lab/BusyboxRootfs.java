package dev.edgelink.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/** A minimal root filesystem: busybox-static and a symlink per applet, as a tar that runtimes can import. */
final class BusyboxRootfs {
    static final Path BUSYBOX = Path.of("/bin/busybox");

    private BusyboxRootfs() {
    }

    /** Builds the rootfs in {@code dir} and returns {@code dir.tar} next to it. */
    static Path tar(Path dir) {
        try {
            Path bin = Files.createDirectories(dir.resolve("bin"));
            for (String d : List.of("etc", "proc", "sys", "dev", "tmp", "root")) {
                Files.createDirectories(dir.resolve(d));
            }
            Files.copy(BUSYBOX, bin.resolve("busybox"), StandardCopyOption.REPLACE_EXISTING);
            bin.resolve("busybox").toFile().setExecutable(true, false);
            String applets = Commands.run(List.of(BUSYBOX.toString(), "--list")).check().stdout();
            for (String a : applets.split("\n")) {
                String applet = a.trim();
                if (!applet.isEmpty() && !applet.equals("busybox") && !applet.contains("/")) {
                    Path link = bin.resolve(applet);
                    if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        Files.createSymbolicLink(link, Path.of("busybox"));
                    }
                }
            }
            Files.writeString(dir.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
            Files.writeString(dir.resolve("etc/group"), "root:x:0:\n");
        } catch (IOException e) {
            throw new LabException("cannot build the busybox rootfs in " + dir, e);
        }
        Path tar = dir.resolveSibling(dir.getFileName() + ".tar");
        Commands.run(List.of("tar", "-C", dir.toString(), "-cf", tar.toString(), ".")).check();
        return tar;
    }
}
