package dev.edgelink.libp2p.multiaddr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.peer.PeerId;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvFileSource;
import org.junit.jupiter.params.provider.ValueSource;

class MultiaddrTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final String RELAY = "QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC";
    private static final String TARGET = "12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV";

    @ParameterizedTest(name = "{0}")
    @CsvFileSource(resources = "multiaddr-vectors.csv", numLinesToSkip = 1)
    void textAndBinaryFormsMatchVectors(String text, String hex) {
        Multiaddr fromText = Multiaddr.fromString(text);
        assertEquals(hex, HEX.formatHex(fromText.toBytes()));
        Multiaddr fromBytes = Multiaddr.fromBytes(HEX.parseHex(hex));
        assertEquals(text, fromBytes.toString());
        assertEquals(fromText, fromBytes);
        assertEquals(fromText.components(), fromBytes.components());
    }

    @ParameterizedTest(name = "{0}")
    @CsvFileSource(resources = "multiaddr-aliases.csv", numLinesToSkip = 1)
    void alternativeSpellingsParseToTheCanonicalAddress(String text, String canonical) {
        Multiaddr addr = Multiaddr.fromString(text);
        assertEquals(canonical, addr.toString());
        assertEquals(Multiaddr.fromString(canonical), addr);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvFileSource(resources = "multiaddr-invalid-text.csv", numLinesToSkip = 1)
    void malformedTextIsAConfigurationErrorNamingThePart(String text, String reason) {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> Multiaddr.fromString(text));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertTrue(e.getMessage().startsWith("invalid multiaddr '" + text + "'"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvFileSource(resources = "multiaddr-invalid-bytes.csv", numLinesToSkip = 1)
    void malformedBytesAreAProtocolViolation(String hex, String reason) {
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class,
                () -> Multiaddr.fromBytes(HEX.parseHex(hex)));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void binaryLengthIsLimited() {
        String name = "a".repeat(Multiaddr.MAX_BYTES);
        assertThrows(ConfigurationException.class, () -> Multiaddr.fromString("/dns/" + name));
        byte[] atLimit = new byte[Multiaddr.MAX_BYTES];
        byte[] overLimit = new byte[Multiaddr.MAX_BYTES + 1];
        assertThrows(LimitExceededException.class, () -> Multiaddr.fromBytes(overLimit));
        // At the limit the length check passes and decoding proceeds (and fails on the content instead).
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class,
                () -> Multiaddr.fromBytes(atLimit));
        assertFalse(e instanceof LimitExceededException);
        String fits = "/dns/" + "a".repeat(Multiaddr.MAX_BYTES - 3);
        assertEquals(Multiaddr.MAX_BYTES, Multiaddr.fromString(fits).toBytes().length);
    }

    @Test
    void componentsAndValues() {
        Multiaddr addr = Multiaddr.fromString("/dns4/relay.example/tcp/4001/ws/p2p/" + RELAY + "/p2p-circuit");
        assertEquals(List.of(new Multiaddr.Component(Protocol.DNS4, "relay.example"),
                new Multiaddr.Component(Protocol.TCP, "4001"), new Multiaddr.Component(Protocol.WS, ""),
                new Multiaddr.Component(Protocol.P2P, RELAY), new Multiaddr.Component(Protocol.P2P_CIRCUIT, "")),
                addr.components());
        assertEquals(Optional.of("4001"), addr.valueOf(Protocol.TCP));
        assertEquals(Optional.of(""), addr.valueOf(Protocol.WS));
        assertEquals(Optional.empty(), addr.valueOf(Protocol.IP4));
    }

    @Test
    void peerIdIsTheLastP2pUnlessARelayHopFollows() {
        Multiaddr direct = Multiaddr.fromString("/ip4/127.0.0.1/tcp/4001/p2p/" + TARGET);
        assertEquals(Optional.of(PeerId.fromString(TARGET)), direct.peerId());
        Multiaddr relayed = Multiaddr.fromString("/ip4/127.0.0.1/tcp/4001/p2p/" + RELAY + "/p2p-circuit/p2p/" + TARGET);
        assertEquals(Optional.of(PeerId.fromString(TARGET)), relayed.peerId());
        assertTrue(relayed.isCircuit());
        Multiaddr relayOnly = Multiaddr.fromString("/ip4/127.0.0.1/tcp/4001/p2p/" + RELAY + "/p2p-circuit");
        assertEquals(Optional.empty(), relayOnly.peerId());
        assertEquals(Optional.empty(), Multiaddr.fromString("/ip4/127.0.0.1/tcp/4001").peerId());
    }

    @Test
    void withAndWithoutPeerId() {
        PeerId target = PeerId.fromString(TARGET);
        Multiaddr base = Multiaddr.fromString("/ip4/127.0.0.1/tcp/4001");
        Multiaddr full = base.withPeerId(target);
        assertEquals("/ip4/127.0.0.1/tcp/4001/p2p/" + TARGET, full.toString());
        assertSame(full, full.withPeerId(target));
        assertEquals(base, full.withoutPeerId());
        assertSame(base, base.withoutPeerId());
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> full.withPeerId(PeerId.fromString(RELAY)));
        assertTrue(e.getMessage().contains("already names peer " + TARGET), e.getMessage());
        Multiaddr relayOnly = Multiaddr.fromString("/ip4/127.0.0.1/tcp/4001/p2p/" + RELAY + "/p2p-circuit");
        assertEquals(relayOnly + "/p2p/" + TARGET, relayOnly.withPeerId(target).toString());
    }

    @Test
    void encapsulateAppends() {
        Multiaddr relay = Multiaddr.fromString("/ip4/10.0.0.1/tcp/4001/p2p/" + RELAY);
        Multiaddr circuit = relay.encapsulate(Multiaddr.fromString("/p2p-circuit/p2p/" + TARGET));
        assertEquals("/ip4/10.0.0.1/tcp/4001/p2p/" + RELAY + "/p2p-circuit/p2p/" + TARGET, circuit.toString());
        assertEquals(Multiaddr.fromString(circuit.toString()), circuit);
    }

    @Test
    void tcpSocketAddressesConvertBothWays() throws Exception {
        InetSocketAddress v4 = new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 4001);
        assertEquals("/ip4/127.0.0.1/tcp/4001", Multiaddr.tcp(v4).toString());
        assertEquals(v4, Multiaddr.tcp(v4).toTcpSocketAddress());
        byte[] loopback6 = new byte[16];
        loopback6[15] = 1;
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByAddress(loopback6), 80);
        assertEquals("/ip6/::1/tcp/80", Multiaddr.tcp(v6).toString());
        assertEquals(v6, Multiaddr.fromString("/ip6/::1/tcp/80/p2p/" + TARGET).toTcpSocketAddress());
        InetSocketAddress named = Multiaddr.fromString("/dns4/node1.edge.local/tcp/4001").toTcpSocketAddress();
        assertTrue(named.isUnresolved(), "no DNS lookup happens here");
        assertEquals("node1.edge.local", named.getHostString());
        assertEquals("/dns/node1.edge.local/tcp/4001",
                Multiaddr.tcp(InetSocketAddress.createUnresolved("node1.edge.local", 4001)).toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/ip4/127.0.0.1/udp/4001", "/ip4/127.0.0.1/tcp/4001/ws", "/ip4/127.0.0.1",
        "/ip4/127.0.0.1/tcp/1/p2p/" + RELAY + "/p2p-circuit", "/dnsaddr/bootstrap.libp2p.io", "/tcp/1/ip4/1.2.3.4"})
    void nonTcpAddressesAreRefusedForTcp(String text) {
        Multiaddr addr = Multiaddr.fromString(text);
        assertFalse(addr.isTcp());
        ConfigurationException e = assertThrows(ConfigurationException.class, addr::toTcpSocketAddress);
        assertTrue(e.getMessage().contains(text), e.getMessage());
    }

    @Test
    void unixPathsArePercentEncodedLikeJsLibp2p() {
        Multiaddr addr = Multiaddr.fromString("/unix/%2Frun%2Fedgelink%20node.sock");
        assertEquals("/unix/%2Frun%2Fedgelink%20node.sock", addr.toString());
        assertEquals("9003172f72756e2f656467656c696e6b206e6f64652e736f636b", HEX.formatHex(addr.toBytes()));
        assertEquals(addr, Multiaddr.fromString("/unix/%2frun%2fedgelink node.sock"));
    }

    @Test
    void protocolsByCodeAndName() {
        assertEquals(Optional.of(Protocol.P2P), Protocol.forName("ipfs"));
        assertEquals(Optional.of(Protocol.QUIC_V1), Protocol.forCode(0x01cd));
        assertEquals(Optional.empty(), Protocol.forCode(1L << 40));
        for (Protocol protocol : Protocol.values()) {
            assertEquals(Optional.of(protocol), Protocol.forName(protocol.protocolName()));
            assertEquals(Optional.of(protocol), Protocol.forCode(protocol.code()));
        }
    }
}
