package dev.edgelink.relay.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.labsupport.NetnsLab;
import dev.edgelink.libp2p.interop.JsPeer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * AutoNAT v1 between our implementation and js-libp2p ({@code @libp2p/autonat}), both ways, in two network
 * namespaces joined by one veth pair:
 *
 * <pre>
 *   js 11.0.1.1/24 ---- 11.0.1.2/24 java (and, in one test, a js relay beside it on the same IP)
 * </pre>
 *
 * js asks for, and dials, only addresses it takes for public ones, hence 11.0.0.0/8 inside the namespaces.
 */
@Tag("interop")
@Tag("lab")
class AutonatJsInteropTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String JS_IP = "11.0.1.1";
    private static final String JAVA_IP = "11.0.1.2";

    private InteropLab lab;
    private String jsNs;
    private String javaNs;

    @BeforeEach
    void open() {
        NetnsLab.requireRoot("the AutoNAT interop test needs root (network namespaces, veth)");
        lab = new InteropLab();
        jsNs = lab.namespace("js");
        javaNs = lab.namespace("java");
        lab.link(jsNs, "eth0", JS_IP + "/24", javaNs, "eth0", JAVA_IP + "/24");
    }

    @AfterEach
    void close() {
        if (lab != null) {
            lab.close();
        }
        assertTrue(lab == null || lab.existing().isEmpty(), "namespaces left");
    }

    private JsPeer js(String netns, String... args) {
        JsPeer peer = JsPeer.startIn(netns, List.of(args));
        lab.own(peer);
        return peer;
    }

    private JavaLabPeerProcess java(String... args) {
        JavaLabPeerProcess peer = JavaLabPeerProcess.start(javaNs, List.of(args));
        lab.own(peer);
        return peer;
    }

    /**
     * js's server (3.0.28) asks its connection manager for a connection to the address to check and closes that
     * connection when done. Asked over a relayed connection through a relay on our own IP (a js relay in our
     * namespace, without limits, so js takes the stream), it dials us for real: the address we listen on is OK
     * and reachable, a port nobody listens on is E_DIAL_ERROR and unreachable, and the answers come back over the
     * relayed connection. js dials us through the relay (we hold the reservation): with a reservation of its own,
     * js would count the relay's IP as its own and refuse to dial it.
     */
    @Test
    void ourClientGetsJsServersVerdict() {
        JsPeer relay = js(javaNs, "--listen", "/ip4/" + JAVA_IP + "/tcp/4010", "--relay-server", "--relay-unlimited");
        String relayAddress = "/ip4/" + JAVA_IP + "/tcp/4010/p2p/" + relay.peerId();
        JavaLabPeerProcess client = java("--listen", "/ip4/" + JAVA_IP + "/tcp/4001");
        client.command("connect " + relayAddress, WAIT);
        String circuit = client.command("reserve " + relayAddress, WAIT).path("circuit").asText();
        JsPeer server = js(jsNs, "--listen", "/ip4/" + JS_IP + "/tcp/4002", "--autonat",
                "--dial", circuit + "/p2p/" + client.peerId());
        server.awaitEvent("dial", e -> e.path("ok").asBoolean(), WAIT);
        client.awaitEvent("connection:open", e -> server.peerId().equals(e.path("remotePeer").asText())
                && e.path("relayed").asBoolean(), WAIT);

        String listen = "/ip4/" + JAVA_IP + "/tcp/4001";
        JsonNode reachable = client.command("autonat " + server.peerId() + " relayed " + listen, WAIT);
        assertEquals("OK", reachable.path("status").asText(), reachable + client.dump() + server.dump());
        assertEquals(listen, reachable.path("addr").asText());
        assertEquals("PUBLIC", reachable.path("nat").asText());
        JsonNode dialBack = server.awaitEvent("connection:open", e -> "outbound".equals(e.path("direction").asText())
                && e.path("remoteAddr").asText().equals(listen + "/p2p/" + client.peerId()), WAIT);
        assertFalse(dialBack.path("limited").asBoolean());

        String closedPort = "/ip4/" + JAVA_IP + "/tcp/4009";
        JsonNode unreachable = client.command("autonat " + server.peerId() + " relayed " + closedPort, WAIT);
        assertEquals("E_DIAL_ERROR", unreachable.path("status").asText(), unreachable + server.dump());
        assertEquals("PRIVATE", unreachable.path("nat").asText());
    }

    /**
     * Over a direct connection, the connection js's server finds for the address to check is the one the
     * request came on, and it closes that before answering: js 3.0.28 gives no verdict there (not even to js
     * peers). Our client takes that as no answer, not as a verdict either way. Answers js gives without a dial
     * do arrive: a private address is refused.
     */
    @Test
    void noAnswerFromJsOnTheConnectionItChecksIsNoVerdict() {
        JsPeer server = js(jsNs, "--listen", "/ip4/" + JS_IP + "/tcp/4002", "--autonat");
        JavaLabPeerProcess client = java("--listen", "/ip4/" + JAVA_IP + "/tcp/4001");
        String listen = "/ip4/" + JAVA_IP + "/tcp/4001";
        client.command("connect /ip4/" + JS_IP + "/tcp/4002/p2p/" + server.peerId() + " listen-port", WAIT);

        JsonNode refused = client.command("autonat " + server.peerId() + " direct /ip4/10.1.0.2/tcp/4001", WAIT);
        assertEquals("E_DIAL_REFUSED", refused.path("status").asText(), refused + server.dump());
        assertEquals("UNKNOWN", refused.path("nat").asText(), "a refusal says nothing about us");

        JsonNode silent = client.tryCommand("autonat " + server.peerId() + " direct " + listen, WAIT);
        assertEquals("NO_ANSWER", silent.path("status").asText(), silent + server.dump());
        assertEquals("UNKNOWN", silent.path("nat").asText(), silent.toString());
        server.awaitEvent("connection:close", e -> client.peerId().equals(e.path("remotePeer").asText()), WAIT);
        client.awaitEvent("connection:close", e -> server.peerId().equals(e.path("remotePeer").asText()), WAIT);
    }

    /**
     * js asks our server about its public listen address as soon as identify shows that we serve AutoNAT; our
     * dial-back (from a separate host) reaches it, and js, which lists no unverified public address as its own,
     * then lists it: the answer was taken.
     */
    @Test
    void jsTakesOurServersAnswer() throws Exception {
        JavaLabPeerProcess server = java("--listen", "/ip4/" + JAVA_IP + "/tcp/4001", "--autonat-server");
        String jsListen = "/ip4/" + JS_IP + "/tcp/4002";
        JsPeer client = js(jsNs, "--listen", jsListen, "--autonat",
                "--dial", "/ip4/" + JAVA_IP + "/tcp/4001/p2p/" + server.peerId());
        String confirmed = jsListen + "/p2p/" + client.peerId();
        assertFalse(client.multiaddrs().contains(confirmed), "not verified yet at start: " + client.multiaddrs());

        JsonNode asked = client.awaitEvent("stream", e -> "outbound".equals(e.path("direction").asText())
                && "/libp2p/autonat/1.0.0".equals(e.path("protocol").asText()), WAIT);
        assertEquals(server.peerId(), asked.path("remotePeer").asText());
        JsonNode dialBack = client.awaitEvent("connection:open", e -> "inbound".equals(e.path("direction").asText())
                && e.path("remoteAddr").asText().startsWith("/ip4/" + JAVA_IP + "/"), WAIT);
        assertNotEquals(server.peerId(), dialBack.path("remotePeer").asText(), "dial-backs come from another id");
        client.awaitEvent("addresses", e -> e.path("multiaddrs").toString().contains("\"" + confirmed + "\""), WAIT);
    }
}
