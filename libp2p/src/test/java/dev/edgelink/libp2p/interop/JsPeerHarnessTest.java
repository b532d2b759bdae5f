package dev.edgelink.libp2p.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Proves that the js interop peer and the {@link JsPeer} fixture work under Maven. */
@Tag("interop")
class JsPeerHarnessTest {

    private static final int MIB = 1024 * 1024;

    @Test
    void bulkEchoOfOneMebibyteBetweenTwoJsPeers() {
        try (JsPeer server = JsPeer.start(List.of("--echo"))) {
            String target = server.tcpMultiaddr();
            assertTrue(target.endsWith("/p2p/" + server.peerId()), target);
            assertTrue(target.startsWith("/ip4/127.0.0.1/tcp/"), target);

            try (JsPeer client = JsPeer.start(List.of("--echo-dial", target, "--echo-bytes", String.valueOf(MIB),
                "--action-timeout-ms", "60000", "--exit-after-actions"))) {
                JsonNode echo = client.awaitEvent("echo", e -> true, Duration.ofSeconds(90));
                assertTrue(echo.path("ok").asBoolean(), () -> "echo failed: " + echo + client.dump());
                assertEquals(1, echo.path("streams").asInt());
                assertEquals(MIB, echo.path("bytesPerStream").asLong());
                assertEquals(MIB, echo.path("bytesReceived").asLong());
                assertEquals(server.peerId(), echo.path("remotePeer").asText());
                assertTrue(echo.path("mbps").asDouble() > 0, echo::toString);
                assertEquals(0, client.runToExit(Duration.ofSeconds(30)), client::dump);
                assertFalse(client.isAlive());
                String clientId = client.peerId();

                JsonNode served = server.awaitEvent("echo:served",
                    e -> clientId.equals(e.path("remotePeer").asText()), Duration.ofSeconds(10));
                assertEquals(MIB, served.path("bytes").asLong(), served::toString);
            }
        }
    }

    @Test
    void awaitEventFailsWithTheCollectedOutput() {
        JsPeer peer = JsPeer.start(List.of());
        try {
            long pid = peer.pid();
            AssertionError err = assertThrows(AssertionError.class,
                () -> peer.awaitEvent(JsPeer.named("no-such-event"), Duration.ofMillis(300)));
            assertTrue(err.getMessage().contains("\"event\":\"listening\""), err.getMessage());
            assertTrue(err.getMessage().contains("pid " + pid), err.getMessage());
        } finally {
            peer.close();
        }
        // SIGTERM: the peer stops libp2p, prints 'stopped' and exits 0
        assertFalse(peer.isAlive());
        assertEquals(1, peer.events("stopped").size(), peer::dump);
        assertEquals(0, peer.runToExit(Duration.ofSeconds(1)), peer::dump);
    }
}
