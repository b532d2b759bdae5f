package dev.edgelink.cni.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.cni.CniServer;
import dev.edgelink.cni.CniVersions;
import dev.edgelink.cni.LauncherInstaller;
import dev.edgelink.cni.codec.Vectors;
import dev.edgelink.cni.internal.codec.CniCodec;
import dev.edgelink.cni.server.FakeCniService;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The sh launcher as runtimes run it: {@code /bin/sh}, an empty environment but the CNI_* variables, the config
 * on stdin. VERSION must come from the script alone; everything else through the installed java client.
 */
class LauncherTest {
    @TempDir
    Path dir;
    private Path template;

    /** The template as the jar carries it (a copy of {@code src/main/sh/edgelink}), as an uninstalled file. */
    @BeforeEach
    void writeTemplate() throws IOException {
        template = dir.resolve("edgelink-template");
        Files.writeString(template, LauncherInstaller.template());
    }

    private record Run(int exit, String out, String err, long millis) {
        JsonNode json() {
            return Vectors.parse(out);
        }
    }

    private static Run run(Path launcher, Map<String, String> cniEnv, String stdin) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/env", "-i"));
        cniEnv.forEach((k, v) -> cmd.add(k + "=" + v));
        cmd.addAll(List.of("/bin/sh", launcher.toString()));
        long start = System.nanoTime();
        Process p = new ProcessBuilder(cmd).start();
        try (var in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        } catch (IOException ignored) {
            // the script exited without reading stdin (as it may)
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("launcher did not finish; killed pid " + p.pid());
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8), millis);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.3.1", "0.4.0", "1.0.0", "1.1.0"})
    void versionIsAnsweredByTheScriptAloneAndFast(String version) throws Exception {
        Run run = run(template, Map.of("CNI_COMMAND", "VERSION"), "{\n  \"cniVersion\": \"" + version + "\"\n}\n");
        assertEquals(0, run.exit(), run.err());
        assertEquals(CniCodec.encodeVersion(version), run.json());
        assertTrue(run.millis() < 1000, "VERSION took " + run.millis() + " ms; it must not start a JVM");
    }

    @Test
    void versionWithoutInputOrWithAnUnknownVersionSaysTheCurrentOne() throws Exception {
        assertEquals(CniCodec.encodeVersion(CniVersions.CURRENT), run(template, Map.of("CNI_COMMAND", "VERSION"),
                "").json());
        assertEquals(CniCodec.encodeVersion(CniVersions.CURRENT), run(template, Map.of("CNI_COMMAND", "VERSION"),
                "{\"cniVersion\":\"9.9.9\"}").json());
    }

    @Test
    void theScriptListsTheVersionsTheJavaCodeSpeaks() throws Exception {
        JsonNode listed = run(template, Map.of("CNI_COMMAND", "VERSION"), "").json().get("supportedVersions");
        List<String> versions = new ArrayList<>();
        listed.forEach(v -> versions.add(v.asText()));
        assertEquals(CniVersions.SUPPORTED, versions);
    }

    @Test
    void theUninstalledTemplateSaysSoForOtherCommands() throws Exception {
        Run run = run(template, Map.of("CNI_COMMAND", "ADD"), "{}");
        assertEquals(1, run.exit());
        assertEquals(100, run.json().get("code").asInt());
    }

    private Path installed() throws IOException {
        List<Path> classpath = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            classpath.add(Path.of(e).toAbsolutePath());
        }
        return LauncherInstaller.install(dir.resolve("bin"), Path.of(System.getProperty("java.home"), "bin", "java"),
                classpath);
    }

    @Test
    void theInstalledLauncherReportsABrokenConflistNamingTheField() throws Exception {
        Path launcher = installed();
        assertEquals("rwxr-xr-x", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(launcher)));
        assertFalse(Files.readString(launcher).contains("'@JAVA@'"));
        Run run = run(launcher, Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "c1", "CNI_NETNS", "/run/netns/x",
                "CNI_IFNAME", "eth0"), "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"edgelink\",\"mtu\":-1}");
        assertEquals(1, run.exit(), run.err());
        assertEquals(7, run.json().get("code").asInt(), run.out());
        assertEquals("1.0.0", run.json().get("cniVersion").asText());
        assertTrue(run.json().get("msg").asText().contains("mtu"), run.out());
    }

    @Test
    void theInstalledLauncherCarriesAnAddToTheAgentWithAStrippedEnvironment() throws Exception {
        Path launcher = installed();
        Path socket = dir.resolve("agent.sock");
        FakeCniService service = new FakeCniService();
        try (CniServer server = new CniServer(service, socket).start()) {
            String config = "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"edgelink\",\"agentSocket\":\""
                    + socket + "\"}";
            Run run = run(launcher, Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "c1", "CNI_NETNS",
                    "/run/netns/x", "CNI_IFNAME", "eth0", "CNI_ARGS", "IgnoreUnknown=1;IP=10.244.1.9"), config);
            assertEquals(0, run.exit(), run.out() + run.err());
            assertEquals(CniCodec.encodeResult(FakeCniService.result("1.1.0", "/run/netns/x"), "1.1.0"), run.json());
            assertEquals("10.244.1.9", service.calls.get(0).args().ip().getHostAddress());
            Run del = run(launcher, Map.of("CNI_COMMAND", "DEL", "CNI_CONTAINERID", "c1", "CNI_IFNAME", "eth0"),
                    config);
            assertEquals(0, del.exit(), del.out() + del.err());
            assertEquals("", del.out());
        }
    }

    private Path installed(String name, Optional<Path> curl) throws IOException {
        List<Path> classpath = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            classpath.add(Path.of(e).toAbsolutePath());
        }
        return LauncherInstaller.install(dir.resolve("bin"), name, Path.of(System.getProperty("java.home"), "bin",
                "java"), classpath, curl);
    }

    /**
     * The same calls through the curl launcher and the Java-only launcher print the same bytes and exit the same:
     * results, the agent's errors, the checks made before the agent, values HTTP cannot carry, and no agent.
     */
    @Test
    void theCurlPathAndTheJvmPathGiveTheSameBytes() throws Exception {
        Path curl = LauncherInstaller.findCurl().orElseThrow(() -> new AssertionError("this test needs curl"));
        Path viaCurl = installed("edgelink-curl", Optional.of(curl));
        Path viaJava = installed("edgelink-java", Optional.empty());
        assertTrue(Files.readString(viaCurl).contains("CURL='" + curl + "'"));
        assertTrue(Files.readString(viaJava).contains("CURL=''"));
        Path socket = dir.resolve("agent.sock");
        String config = "{\n  \"cniVersion\": \"1.0.0\", \"name\": \"n\", \"type\": \"edgelink\",\n"
                + "  \"agentSocket\": \"" + socket + "\"\n}\n";
        Map<String, String> add = Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "c1", "CNI_NETNS", "/run/netns/x",
                "CNI_IFNAME", "eth0", "CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAME=a=b;IP=10.244.1.9",
                "CNI_PATH", "/opt/cni/bin");
        Map<String, String> del = Map.of("CNI_COMMAND", "DEL", "CNI_CONTAINERID", "c1", "CNI_IFNAME", "eth0");
        Map<String, String> check = Map.of("CNI_COMMAND", "CHECK", "CNI_CONTAINERID", "c1", "CNI_NETNS",
                "/run/netns/x", "CNI_IFNAME", "eth0");
        Map<String, String> badIfname = Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "c1", "CNI_NETNS",
                "/run/netns/x", "CNI_IFNAME", "a/b");
        Map<String, String> spaced = Map.of("CNI_COMMAND", "DEL", "CNI_CONTAINERID", "c1", "CNI_IFNAME", "eth0",
                "CNI_ARGS", " IgnoreUnknown=1 ");
        String badMtu = "{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"type\":\"edgelink\",\"mtu\":-1,"
                + "\"agentSocket\":\"" + socket + "\"}";
        FakeCniService service = new FakeCniService();
        try (CniServer server = new CniServer(service, socket).start()) {
            assertSame(viaCurl, viaJava, add, config, 0);
            assertSame(viaCurl, viaJava, del, config, 0);
            assertSame(viaCurl, viaJava, check, config, 1);
            assertSame(viaCurl, viaJava, badIfname, config, 1);
            assertSame(viaCurl, viaJava, add, badMtu, 1);
            assertSame(viaCurl, viaJava, add, "not json", 1);
            assertSame(viaCurl, viaJava, spaced, config, 0);
            assertSame(viaCurl, viaJava, Map.of("CNI_COMMAND", "VERSION"), config, 0);
            service.failure = new dev.edgelink.cni.CniException(dev.edgelink.cni.CniErrorCode.KERNEL_REFUSED,
                    "veth refused", "File exists (EEXIST)");
            assertSame(viaCurl, viaJava, add, config, 1);
        }
        Run down = assertSame(viaCurl, viaJava, add, config, 1);
        assertEquals(11, down.json().get("code").asInt(), down.out());
    }

    private static Run assertSame(Path viaCurl, Path viaJava, Map<String, String> env, String stdin, int exit)
            throws Exception {
        Run a = run(viaCurl, env, stdin);
        Run b = run(viaJava, env, stdin);
        assertEquals(b.out(), a.out(), env + ": curl path vs JVM path");
        assertEquals(exit, b.exit(), b.out() + b.err());
        assertEquals(b.exit(), a.exit(), a.out() + a.err());
        return a;
    }

    @Test
    void theInstallerRefusesPathsTheLauncherCannotUse() {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        assertThrows(IllegalArgumentException.class, () -> LauncherInstaller.install(dir, Path.of("java"),
                List.of(dir)));
        assertThrows(IllegalArgumentException.class, () -> LauncherInstaller.install(dir, java,
                List.of(Path.of("relative.jar"))));
        assertThrows(IllegalArgumentException.class, () -> LauncherInstaller.install(dir, java,
                List.of(dir.resolve("missing.jar"))));
        assertThrows(IllegalArgumentException.class, () -> {
            Path quoted = Files.createDirectories(dir.resolve("it's"));
            LauncherInstaller.install(dir, java, List.of(quoted));
        });
        assertFalse(Files.exists(dir.resolve(LauncherInstaller.PLUGIN_NAME)));
    }
}
