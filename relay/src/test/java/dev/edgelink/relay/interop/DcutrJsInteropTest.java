package dev.edgelink.relay.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.labsupport.NetnsLab;
import dev.edgelink.libp2p.interop.JsPeer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DCUtR between our implementation and js-libp2p ({@code @libp2p/dcutr}), our node once as the initiator (B, who
 * opens the DCUtR stream) and once as the responder (A), over a connection through a js circuit relay, in network
 * namespaces joined by a router:
 *
 * <pre>
 *   relay 11.0.0.2 --+
 *                    net (router) --- 11.0.2.2 js
 *   java  11.0.1.2 --+              (or: java 10.1.0.2 -- nat 11.0.1.2, a home router, masquerading)
 * </pre>
 *
 * What js needs (from its source): it starts DCUtR itself only on an inbound relayed connection, first trying a
 * plain dial to the remote's identify addresses if any is public (then no DCUtR at all); it offers, and accepts
 * from the remote, only addresses it takes for public ones (hence 11.0.0.0/8), and an address it listens on counts
 * only once verified, or announced (hence {@code --announce}). B dials as the upgrade's responder and A as its
 * initiator; js dials from a fresh port, so the connection that works is the one A dials to B's listener, or B's
 * dial when A cannot be reached.
 */
@Tag("interop")
@Tag("lab")
class DcutrJsInteropTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String RELAY_IP = "11.0.0.2";
    private static final String JAVA_PUBLIC_IP = "11.0.1.2";
    private static final String JS_IP = "11.0.2.2";
    private static final int ECHO_BYTES = 65536;

    private InteropLab lab;
    private String relayNs;
    private String jsNs;

    @TempDir
    Path dir;

    @BeforeEach
    void open() {
        NetnsLab.requireRoot("the DCUtR interop test needs root (network namespaces, veth, nft)");
        lab = new InteropLab();
    }

    @AfterEach
    void close() {
        if (lab != null) {
            lab.close();
        }
        assertTrue(lab == null || lab.existing().isEmpty(), "namespaces left");
    }

    /** Builds the lab; returns the namespace our node runs in. */
    private String network(boolean javaBehindNat) throws Exception {
        String net = lab.namespace("net");
        relayNs = lab.namespace("relay");
        jsNs = lab.namespace("js");
        String java = lab.namespace("java");
        lab.forward(net);
        lab.link(net, "r0", "11.0.0.1/24", relayNs, "eth0", RELAY_IP + "/24");
        lab.link(net, "j0", "11.0.2.1/24", jsNs, "eth0", JS_IP + "/24");
        lab.ip(relayNs, "route", "add", "default", "via", "11.0.0.1");
        lab.ip(jsNs, "route", "add", "default", "via", "11.0.2.1");
        if (javaBehindNat) {
            String nat = lab.namespace("nat");
            lab.link(net, "n0", "11.0.1.1/24", nat, "wan0", JAVA_PUBLIC_IP + "/24");
            lab.ip(nat, "route", "add", "default", "via", "11.0.1.1");
            lab.link(nat, "lan0", "10.1.0.1/24", java, "eth0", "10.1.0.2/24");
            lab.ip(java, "route", "add", "default", "via", "10.1.0.1");
            lab.natRouter(nat, "wan0", dir);
        } else {
            lab.link(net, "n0", "11.0.1.1/24", java, "eth0", JAVA_PUBLIC_IP + "/24");
            lab.ip(java, "route", "add", "default", "via", "11.0.1.1");
        }
        return java;
    }

    private JsPeer js(String netns, String... args) {
        JsPeer peer = JsPeer.startIn(netns, List.of(args));
        lab.own(peer);
        return peer;
    }

    private JavaLabPeerProcess java(String netns, String... args) {
        JavaLabPeerProcess peer = JavaLabPeerProcess.start(netns, List.of(args));
        lab.own(peer);
        return peer;
    }

    /** A js relay with js's default (limited) relayed connections; returns its address. */
    private String relay() {
        JsPeer relay = js(relayNs, "--listen", "/ip4/" + RELAY_IP + "/tcp/4001", "--announce",
                "/ip4/" + RELAY_IP + "/tcp/4001", "--relay-server");
        return "/ip4/" + RELAY_IP + "/tcp/4001/p2p/" + relay.peerId();
    }

    /** Our node dials the relay from its listen port and learns its public address from the relay's identify. */
    private void joinRelay(JavaLabPeerProcess node, String relayAddress, String expectedObserved) {
        node.command("connect " + relayAddress + " listen-port", WAIT);
        node.awaitEvent("identify", e -> relayAddress.endsWith(e.path("remotePeer").asText())
                && e.path("observedAddr").asText().startsWith(expectedObserved + "/"), WAIT);
    }

    /**
     * We hold a reservation on the relay; js dials us through it and so is A. We punch (B): js dials our listen
     * address as soon as our SYNC arrives, and that connection, js leading its upgrade, is the direct one.
     */
    @Test
    void weStartDcutrAndJsUpgradesTheRelayedConnection() throws Exception {
        String javaNs = network(false);
        String relayAddress = relay();
        String listen = "/ip4/" + JAVA_PUBLIC_IP + "/tcp/4003";
        JavaLabPeerProcess ours = java(javaNs, "--listen", listen, "--dcutr");
        joinRelay(ours, relayAddress, listen);
        String circuit = ours.command("reserve " + relayAddress, WAIT).path("circuit").asText();
        // no ping after the dial: js would ping through a new relayed connection (the first one is limited), and
        // js's DCUtR dial, though forced, joins a dial in progress to the same peer and takes that relayed
        // connection for the direct one (then it closes the relayed connection the punch runs on)
        JsPeer theirs = js(jsNs, "--listen", "/ip4/" + JS_IP + "/tcp/4002", "--announce", "/ip4/" + JS_IP + "/tcp/4002",
                "--dcutr", "--echo", "--dial", circuit + "/p2p/" + ours.peerId(), "--ping-count", "0");
        ours.awaitEvent("connection:open", e -> theirs.peerId().equals(e.path("remotePeer").asText())
                && e.path("relayed").asBoolean(), WAIT);

        JsonNode punched = ours.tryCommand("punch " + theirs.peerId(), WAIT);
        assertTrue(punched.path("ok").asBoolean(), punched + ours.dump() + theirs.dump());
        assertFalse(punched.path("relayed").asBoolean(), punched.toString());
        assertTrue(punched.path("remoteAddr").asText().startsWith("/ip4/" + JS_IP + "/tcp/"), punched.toString());
        assertFalse(punched.path("initiator").asBoolean(), "A leads the upgrade: " + punched);

        JsonNode dcutr = theirs.awaitEvent("stream", e -> "inbound".equals(e.path("direction").asText())
                && "/libp2p/dcutr".equals(e.path("protocol").asText()), WAIT);
        assertTrue(dcutr.path("remoteAddr").asText().contains("/p2p-circuit"), dcutr.toString());
        assertDirectOnBothSides(ours, theirs, listen + "/p2p/" + ours.peerId(), "outbound");
    }

    /**
     * js holds the reservation; we dial it through the relay from behind a NAT, so js is B and starts DCUtR (our
     * identify addresses are private, so it does not try a plain dial first). We answer with the address the
     * relay observed and dial js at once on SYNC; js's own dial to our router is dropped there. Our dial, from the
     * listen port that the NAT keeps, is the direct connection.
     */
    @Test
    void jsStartsDcutrAndWeAnswerFromBehindANat() throws Exception {
        String javaNs = network(true);
        String relayAddress = relay();
        JsPeer theirs = js(jsNs, "--listen", "/ip4/" + JS_IP + "/tcp/4002", "--announce", "/ip4/" + JS_IP + "/tcp/4002",
                "--listen", relayAddress + "/p2p-circuit", "--dcutr", "--echo");
        JavaLabPeerProcess ours = java(javaNs, "--listen", "/ip4/10.1.0.2/tcp/4003", "--dcutr");
        String external = "/ip4/" + JAVA_PUBLIC_IP + "/tcp/4003";
        joinRelay(ours, relayAddress, external);
        JsonNode viaRelay = ours.command("connect " + relayAddress + "/p2p-circuit/p2p/" + theirs.peerId(), WAIT);
        assertTrue(viaRelay.path("relayed").asBoolean(), viaRelay.toString());

        JsonNode punched = ours.awaitEvent("punched", e -> theirs.peerId().equals(e.path("remotePeer").asText()),
                WAIT);
        assertEquals("/ip4/" + JS_IP + "/tcp/4002", punched.path("remoteAddr").asText(), punched.toString());
        assertTrue(punched.path("initiator").asBoolean(), "A leads the upgrade: " + punched);
        JsonNode dcutr = theirs.awaitEvent("stream", e -> "outbound".equals(e.path("direction").asText())
                && "/libp2p/dcutr".equals(e.path("protocol").asText()), WAIT);
        assertTrue(dcutr.path("remoteAddr").asText().contains("/p2p-circuit"), dcutr.toString());
        // the relayed connection has served its purpose (js retries DCUtR on it while it stays open)
        ours.command("close-relayed " + theirs.peerId(), WAIT);
        assertDirectOnBothSides(ours, theirs, external + "/p2p/" + ours.peerId(), "inbound");
    }

    /**
     * Both ends hold the direct connection: js opened it ({@code jsDirection} as js sees it) to or from
     * {@code ourAddress}, unlimited, and we echo over our direct connection to js, which js serves on it.
     */
    private void assertDirectOnBothSides(JavaLabPeerProcess ours, JsPeer theirs, String ourAddress,
            String jsDirection) {
        JsonNode direct = theirs.awaitEvent("connection:open", e -> ours.peerId().equals(e.path("remotePeer").asText())
                && ourAddress.equals(e.path("remoteAddr").asText()), WAIT);
        assertEquals(jsDirection, direct.path("direction").asText(), direct.toString());
        assertFalse(direct.path("limited").asBoolean(), direct.toString());

        JsonNode echo = ours.command("echo " + theirs.peerId() + " " + ECHO_BYTES, WAIT);
        assertEquals(ECHO_BYTES, echo.path("bytes").asInt());
        assertFalse(echo.path("remoteAddr").asText().contains("/p2p-circuit"), echo.toString());
        JsonNode served = theirs.awaitEvent("echo:served", e -> ours.peerId().equals(e.path("remotePeer").asText()),
                WAIT);
        assertEquals(ourAddress, served.path("remoteAddr").asText(), served.toString());
        assertEquals(ECHO_BYTES, served.path("bytes").asInt());
        assertFalse(served.path("limited").asBoolean());
        String id = direct.path("connectionId").asText();
        assertTrue(theirs.events("connection:close").stream().noneMatch(e -> id.equals(e.path("connectionId")
                .asText())), "js closed the direct connection" + theirs.dump());
    }
}
