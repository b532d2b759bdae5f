package dev.edgelink.lab;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The WAN delayer {@code wan-delay} (source {@code src/main/c/wan-delay.c}, shipped as a resource next to this
 * class), compiled with gcc at first use. The binary is named after the hash of its source and the compiler
 * command, and goes to the build's {@code target/wan-delay/} when the lab runs from {@code target/classes} or a jar
 * in {@code target/}, else to the lab's own directory; it is built under a temporary name and renamed, so concurrent
 * builds never see half a binary.
 */
final class WanProgram {
    static final String SOURCE = "wan-delay.c";
    private static final List<String> GCC = List.of("gcc", "-O2", "-Wall", "-Wextra");
    private static final List<String> LIBS = List.of("-lnetfilter_queue");
    private static Path built;

    private WanProgram() {
    }

    /** The compiled program, built now if needed. */
    static synchronized Path binary(Lab lab) {
        if (built != null && Files.isExecutable(built)) {
            return built;
        }
        byte[] source = source();
        String hash = hash(source);
        Path dir = buildDir().orElse(lab.dir().resolve("wan-delay"));
        Path bin = dir.resolve("wan-delay-" + hash);
        if (!Files.isExecutable(bin)) {
            compile(source, dir, bin, lab.id());
        }
        built = bin;
        return bin;
    }

    private static void compile(byte[] source, Path dir, Path bin, String labId) {
        Path src = dir.resolve(bin.getFileName() + "-" + labId + ".c");
        Path tmp = dir.resolve(bin.getFileName() + "-" + labId + ".tmp");
        try {
            Files.createDirectories(dir);
            Files.write(src, source);
            List<String> cmd = new ArrayList<>(GCC);
            cmd.addAll(List.of("-o", tmp.toString(), src.toString()));
            cmd.addAll(LIBS);
            ExecResult r = Commands.run(cmd);
            if (!r.ok()) {
                throw new LabException("cannot build the WAN delayer (scripts/setup.sh installs gcc and "
                        + "libnetfilter-queue-dev): " + r.describe());
            }
            Files.move(tmp, bin, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new LabException("cannot build the WAN delayer in " + dir, e);
        } finally {
            try {
                Files.deleteIfExists(src);
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // a stray file in target/ or the lab directory; the next build overwrites it
            }
        }
    }

    private static byte[] source() {
        try (InputStream in = WanProgram.class.getResourceAsStream(SOURCE)) {
            if (in == null) {
                throw new LabException(SOURCE + " is not on the classpath next to " + WanProgram.class.getName()
                        + " (chaos-tests' pom copies src/main/c there)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new LabException("cannot read " + SOURCE, e);
        }
    }

    private static String hash(byte[] source) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(source);
            d.update(String.join(" ", GCC).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d.digest()).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code target/wan-delay} of the build this class was loaded from, if it is one and writable. */
    private static Optional<Path> buildDir() {
        try {
            Path where = Path.of(WanProgram.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path target = where.getParent();
            if (target != null && target.getFileName() != null && target.getFileName().toString().equals("target")
                    && Files.isWritable(target)) {
                return Optional.of(target.resolve("wan-delay"));
            }
        } catch (URISyntaxException | RuntimeException e) {
            // no code source (an unusual class loader): the lab directory will do
        }
        return Optional.empty();
    }
}
