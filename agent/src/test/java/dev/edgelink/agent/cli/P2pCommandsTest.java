package dev.edgelink.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgelink.libp2p.bench.BenchProtocol;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.echo.EchoService;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.identify.IdentifyService;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.relay.circuit.RelayClient;
import dev.edgelink.relay.circuit.RelayConfig;
import dev.edgelink.relay.circuit.RelayReservation;
import dev.edgelink.relay.circuit.RelayServer;
import dev.edgelink.libp2p.ping.PingService;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code edgelink p2p} commands against one of our hosts on loopback, checked through their JSON output. */
class P2pCommandsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Host server;
    private String serverAddress;

    @BeforeEach
    void startServer() {
        server = Host.start(HostConfig.builder(Keys.generateEd25519())
                .listen(List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"))).build());
        new IdentifyService(server);
        new PingService(server);
        EchoService.register(server);
        BenchProtocol.register(server);
        serverAddress = server.listenAddresses().get(0).withPeerId(server.peerId()).toString();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private record Result(int exit, List<JsonNode> events) {
        JsonNode first(String event) {
            return events.stream().filter(e -> event.equals(e.path("event").asText())).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + event + " in " + events));
        }

        long count(String event) {
            return events.stream().filter(e -> event.equals(e.path("event").asText())).count();
        }
    }

    private static Result run(String... argv) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int exit = Main.run(argv, new JsonOut(new PrintStream(bytes, true, StandardCharsets.UTF_8)));
        List<JsonNode> events = new ArrayList<>();
        for (String line : bytes.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                events.add(JSON.readTree(line));
            }
        }
        return new Result(exit, events);
    }

    @Test
    void idCreatesAPrivateKeyFileAndKeepsThePeerId() throws Exception {
        Path key = dir.resolve("state/node.key");
        Result first = run("p2p", "id", "--key", key.toString());
        Result second = run("p2p", "id", "--key", key.toString());
        assertEquals(0, first.exit());
        assertEquals(first.events().get(0).path("peerId").asText(), second.events().get(0).path("peerId").asText());
        assertTrue(first.events().get(0).path("peerId").asText().startsWith("12D3KooW"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
    }

    @Test
    void aKeyFileOtherUsersMayReadIsRefused() throws Exception {
        Path key = dir.resolve("open.key");
        Keys.store(Keys.generateEd25519(), key);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        Result r = run("p2p", "id", "--key", key.toString());
        assertEquals(2, r.exit());
        String reason = r.first("error").path("reason").asText();
        assertTrue(reason.contains(key + " has mode 0644") && reason.contains("chmod 600 " + key), reason);
    }

    @Test
    void pingPrintsRoundTripsAndTheRemotesIdentify() throws Exception {
        Result r = run("p2p", "ping", serverAddress, "--count", "3");
        assertEquals(0, r.exit(), r.events().toString());
        assertEquals(3, r.count("ping"));
        JsonNode identify = r.first("identify");
        assertTrue(identify.path("agentVersion").asText().startsWith("edgelink/"));
        assertTrue(identify.path("protocols").toString().contains(EchoService.PROTOCOL));
        assertEquals("/noise", r.first("connection").path("security").asText());
        assertEquals("/yamux/1.0.0", r.first("connection").path("muxer").asText());
    }

    @Test
    void echoChecksEveryByteOnConcurrentStreams() throws Exception {
        Result r = run("p2p", "echo", serverAddress, "--bytes", "1048576", "--streams", "8");
        assertEquals(0, r.exit(), r.events().toString());
        JsonNode echo = r.first("echo");
        assertTrue(echo.path("ok").asBoolean());
        assertEquals(8, echo.path("streams").asInt());
        assertTrue(echo.path("mbps").asDouble() > 0);
    }

    @Test
    void benchReportsTheThroughputOfOneStream() throws Exception {
        Result r = run("p2p", "bench", serverAddress, "--bytes", "16777216");
        assertEquals(0, r.exit(), r.events().toString());
        assertEquals(16777216, r.first("bench").path("bytes").asLong());
    }

    @Test
    void echoAndBenchGoThroughARelayToAPeerWithAReservation() throws Exception {
        try (Host relay = Host.start(HostConfig.builder(Keys.generateEd25519())
                .listen(List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"))).build())) {
            RelayServer.start(relay, RelayConfig.defaults(p -> true));
            Multiaddr relayAddress = relay.listenAddresses().get(0).withPeerId(relay.peerId());
            RelayReservation reservation = RelayClient.install(server).reserve(relayAddress)
                    .get(20, java.util.concurrent.TimeUnit.SECONDS);
            String circuit = reservation.circuitAddress().withPeerId(server.peerId()).toString();
            Result echo = run("p2p", "echo", circuit, "--bytes", "262144", "--streams", "2");
            assertEquals(0, echo.exit(), echo.events().toString());
            assertTrue(echo.first("echo").path("ok").asBoolean());
            Result ping = run("p2p", "ping", circuit, "--count", "1");
            assertEquals(0, ping.exit(), ping.events().toString());
            assertEquals("circuit", ping.first("connection").path("transport").asText());
        }
    }

    @Test
    void aRelayMustBeToldWhoMayUseIt() throws Exception {
        Result r = run("p2p", "relay", "--key", dir.resolve("relay.key").toString(), "--listen",
                "/ip4/127.0.0.1/tcp/0");
        assertEquals(2, r.exit());
        assertTrue(r.first("error").path("reason").asText().contains("--open"), r.events().toString());
    }

    @Test
    void aFailureExitsOneWithAOneLineReason() throws Exception {
        String nobody = "/ip4/127.0.0.1/tcp/1/p2p/" + server.peerId();
        Result r = run("p2p", "ping", nobody, "--timeout-ms", "5000");
        assertEquals(1, r.exit());
        JsonNode error = r.first("error");
        assertTrue(error.path("reason").asText().contains("dial"), error.toString());
    }

    @Test
    void badUsageExitsTwoAndNamesTheProblem() throws Exception {
        Result unknown = run("p2p", "ping", serverAddress, "--colour", "blue");
        assertEquals(2, unknown.exit());
        assertEquals("unknown option --colour", unknown.first("error").path("reason").asText());
        Result badNumber = run("p2p", "echo", serverAddress, "--bytes", "lots");
        assertEquals(2, badNumber.exit());
        assertEquals("--bytes must be a number, got 'lots'", badNumber.first("error").path("reason").asText());
        Result badAddress = run("p2p", "ping", "/ip4/999.1.1.1/tcp/1");
        assertEquals(2, badAddress.exit());
    }
}
