package dev.edgelink.cni;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Writes the plugin launcher ({@code src/main/sh/edgelink}, carried in the jar) into a CNI bin dir with the real
 * java path, classpath and curl path in place of its {@code @JAVA@}, {@code @CLASSPATH@} and {@code @CURL@}
 * lines (curl: {@link #findCurl()}, or {@code --curl PATH}, or none with {@code --curl ""}). The file appears
 * atomically (written beside it, made 0755, renamed), so a runtime never runs half a launcher.
 *
 * <pre>
 *   java -cp edgelink-edge-cni.jar:lib/* dev.edgelink.cni.LauncherInstaller --bin-dir /opt/cni/bin \
 *        [--java /usr/lib/jvm/java-17-openjdk-amd64/bin/java] [--classpath /opt/edgelink/lib/a.jar:...] \
 *        [--curl /usr/bin/curl]
 * </pre>
 *
 * Without {@code --java} the running JVM's java is used; without {@code --classpath} the running classpath (made
 * absolute). The agent can call {@link #install(Path)} at start.
 */
public final class LauncherInstaller {
    /** The template's place in the jar. */
    public static final String TEMPLATE = "/dev/edgelink/cni/launcher/edgelink";
    /** The plugin's file name: the conflist's {@code "type"}. */
    public static final String PLUGIN_NAME = PluginConfig.TYPE;
    static final String JAVA_LINE = "JAVA='@JAVA@'";
    static final String CLASSPATH_LINE = "CLASSPATH_EDGELINK='@CLASSPATH@'";
    static final String CURL_LINE = "CURL='@CURL@'";
    /** Where curl is looked for when the installer's PATH has none (runtimes call plugins without PATH). */
    static final List<Path> CURL_PLACES = List.of(Path.of("/usr/bin/curl"), Path.of("/bin/curl"),
            Path.of("/usr/local/bin/curl"));

    private LauncherInstaller() {
    }

    /** Installs with the running JVM's java and classpath. */
    public static Path install(Path binDir) throws IOException {
        return install(binDir, Path.of(System.getProperty("java.home"), "bin", "java"), runningClasspath());
    }

    private static List<Path> runningClasspath() {
        List<Path> classpath = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                classpath.add(Path.of(entry).toAbsolutePath());
            }
        }
        return classpath;
    }

    /** Installs {@code binDir/edgelink} running {@code java} with {@code classpath}; returns its path. */
    public static Path install(Path binDir, Path java, List<Path> classpath) throws IOException {
        return install(binDir, PLUGIN_NAME, java, classpath);
    }

    /**
     * An absolute curl the launcher can call the agent with: the first executable {@code curl} on the
     * installer's PATH, else in {@link #CURL_PLACES}; empty if there is none (the launcher then runs the Java
     * client for every call).
     */
    public static Optional<Path> findCurl() {
        List<Path> places = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                if (dir.startsWith("/")) {
                    places.add(Path.of(dir, "curl"));
                }
            }
        }
        places.addAll(CURL_PLACES);
        return places.stream().filter(p -> Files.isRegularFile(p) && Files.isExecutable(p)).findFirst();
    }

    /**
     * Installs {@code binDir/fileName}, which must be {@code edgelink} or {@code edgelink-SUFFIX} (the conflist's
     * {@code "type"} is then that name); returns its path.
     */
    public static Path install(Path binDir, String fileName, Path java, List<Path> classpath) throws IOException {
        return install(binDir, fileName, java, classpath, findCurl());
    }

    /**
     * Installs {@code binDir/fileName} calling the agent with {@code curl} (or, if empty, always with the Java
     * client); returns its path.
     */
    public static Path install(Path binDir, String fileName, Path java, List<Path> classpath, Optional<Path> curl)
            throws IOException {
        if (!PluginConfig.isOurType(fileName) || !fileName.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("the launcher's name must be edgelink or edgelink-SUFFIX: " + fileName);
        }
        String script = render(template(), java, classpath, curl);
        Files.createDirectories(binDir);
        Path target = binDir.resolve(fileName);
        Path tmp = Files.createTempFile(binDir, "." + fileName, ".tmp");
        try {
            Files.writeString(tmp, script, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }

    /** The template with its placeholders filled in; refuses paths the launcher could not use. */
    static String render(String template, Path java, List<Path> classpath, Optional<Path> curl) {
        if (!java.isAbsolute() || !Files.isExecutable(java)) {
            throw new IllegalArgumentException("java must be an absolute path to an executable: " + java);
        }
        if (classpath.isEmpty()) {
            throw new IllegalArgumentException("the classpath is empty");
        }
        for (Path p : classpath) {
            if (!p.isAbsolute() || !Files.exists(p)) {
                throw new IllegalArgumentException("classpath entries must be absolute and exist: " + p);
            }
        }
        String cp = classpath.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
        if (curl.isPresent() && (!curl.get().isAbsolute() || !Files.isExecutable(curl.get()))) {
            throw new IllegalArgumentException("curl must be an absolute path to an executable: " + curl.get());
        }
        String curlPath = curl.map(Path::toString).orElse("");
        for (String s : List.of(java.toString(), cp, curlPath)) {
            if (s.contains("'") || s.contains("\n")) {
                throw new IllegalArgumentException("paths must not contain quotes or newlines: " + s);
            }
        }
        if (!template.contains(JAVA_LINE + "\n") || !template.contains(CLASSPATH_LINE + "\n")
                || !template.contains(CURL_LINE + "\n")) {
            throw new IllegalStateException("launcher template lacks its placeholder lines");
        }
        return template.replace(JAVA_LINE + "\n", "JAVA='" + java + "'\n")
                .replace(CLASSPATH_LINE + "\n", "CLASSPATH_EDGELINK='" + cp + "'\n")
                .replace(CURL_LINE + "\n", "CURL='" + curlPath + "'\n");
    }

    /** The launcher template from the jar. */
    public static String template() {
        try (InputStream in = LauncherInstaller.class.getResourceAsStream(TEMPLATE)) {
            if (in == null) {
                throw new IllegalStateException("launcher template " + TEMPLATE + " is not on the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void main(String[] args) throws IOException {
        Path binDir = null;
        Path java = null;
        List<Path> classpath = null;
        Optional<Path> curl = findCurl();
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--bin-dir":
                    binDir = Path.of(args[i + 1]);
                    break;
                case "--java":
                    java = Path.of(args[i + 1]);
                    break;
                case "--curl":
                    curl = args[i + 1].isEmpty() ? Optional.empty() : Optional.of(Path.of(args[i + 1]));
                    break;
                case "--classpath":
                    classpath = new ArrayList<>();
                    for (String e : args[i + 1].split(File.pathSeparator)) {
                        classpath.add(Path.of(e));
                    }
                    break;
                default:
                    throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (binDir == null || args.length % 2 != 0) {
            System.err.println("usage: LauncherInstaller --bin-dir DIR [--java PATH] [--classpath CP] [--curl PATH]");
            System.exit(2);
        }
        Path written = install(binDir, PLUGIN_NAME,
                java != null ? java : Path.of(System.getProperty("java.home"), "bin", "java"),
                classpath != null ? classpath : runningClasspath(), curl);
        System.out.println("installed " + written);
    }
}
