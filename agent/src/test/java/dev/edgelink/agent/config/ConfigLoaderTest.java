package dev.edgelink.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The agent's YAML config: defaults, a full file, and an error naming the key for every key. */
class ConfigLoaderTest {
    private static final ConfigLoader LOADER = new ConfigLoader(() -> "edge-1");
    private static final String PEER = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";

    @TempDir
    Path dir;

    /** Parses {@code yaml}; a mapping that says nothing of trust gets {@code trust: {insecure: true}}. */
    private static AgentConfig parse(String yaml) {
        boolean mapping = !yaml.isBlank() && !yaml.startsWith("-");
        return LOADER.parse(mapping && !yaml.contains("trust:") ? yaml + "\ntrust: {insecure: true}\n" : yaml);
    }

    @Test
    void withoutACaTheAgentStartsOnlyInTheExplicitInsecureMode() {
        ConfigException e = assertThrows(ConfigException.class, () -> LOADER.parse("podCidr: 10.244.1.0/24\n"));
        assertEquals("trust.caFiles", e.key());
        assertTrue(e.getMessage().contains("trust.insecure: true"), e.getMessage());
        AgentConfig c = parse("podCidr: 10.244.1.0/24\n");
        assertTrue(c.trust().insecure());
        assertEquals(List.of(), c.trust().kernelUnderlays());
        assertEquals(AgentConfig.Trust.DEFAULT_CLOCK_SKEW, c.trust().clockSkew());
    }

    @Test
    void onlyThePodCidrIsRequiredAndEveryOtherKeyHasItsDocumentedDefault() {
        AgentConfig c = parse("podCidr: 10.244.1.0/24\n");
        assertEquals("edge-1", c.nodeName());
        assertEquals(IpPrefix.parse("10.244.1.0/24"), c.podCidr());
        assertEquals(IpPrefix.parse("10.244.0.0/16"), c.clusterCidr());
        assertEquals("/ip4/0.0.0.0/tcp/4001", c.listen().get(0).toString());
        assertEquals(List.of(), c.bootstrapPeers());
        assertEquals(List.of(), c.mdnsInterfaces());
        assertEquals(Optional.empty(), c.pskFile());
        assertEquals(TunnelMode.AUTO, c.tunnelMode());
        assertEquals(Optional.empty(), c.underlayInterface());
        assertEquals(Optional.empty(), c.underlayAddress());
        assertEquals(Path.of("/var/lib/edgelink"), c.stateDir());
        assertEquals(Path.of("/var/lib/edgelink/node.key"), c.keyFile());
        assertEquals(Path.of("/run/edgelink/cni.sock"), c.cniSocket());
        assertEquals("127.0.0.1", c.statusAddress().getAddress().getHostAddress());
        assertEquals(9473, c.statusAddress().getPort());
        assertTrue(c.masquerade());
        assertEquals(AgentConfig.Timeouts.defaults(), c.timeouts());
        assertEquals(List.of(), c.staticPeers());
        assertEquals(AgentConfig.Nat.defaults(), c.nat());
        assertEquals(new AgentConfig.Connections(1024, 8, 128, Duration.ofSeconds(5)), c.connections());
        assertEquals(new AgentConfig.Members(8192, 3), c.members());
        assertEquals(Duration.ofMinutes(10), c.timeouts().recordTtl());
        assertEquals("", c.site());
        assertEquals(Duration.ofMillis(300), c.timeouts().probeInterval());
        assertTrue(c.timeouts().probeInterval().multipliedBy(c.timeouts().probeFailures())
                .plus(c.timeouts().probeTimeout()).compareTo(Duration.ofSeconds(2)) <= 0,
                "the default timeouts leave a dead path within 2 s");
    }

    @Test
    void theCrossNatKeysAreReadAndTheRelaysDefaultToTheBootstrapPeers() {
        String boot = "/ip4/198.18.0.3/tcp/4001/p2p/" + PEER;
        AgentConfig c = parse("podCidr: 10.244.1.0/24\nbootstrapPeers: [" + boot + "]\nsite: lab-b\n"
                + "relay: {server: true}\nholePunch: false\nuserspace: false\n");
        assertEquals(new AgentConfig.Nat("lab-b", true, List.of(), false, false), c.nat());
        assertEquals(List.of(boot), c.relayPeers().stream().map(Object::toString).toList());
        String other = "/ip4/198.18.0.4/tcp/4001/p2p/" + PEER;
        AgentConfig d = parse("podCidr: 10.244.1.0/24\nbootstrapPeers: [" + boot + "]\n"
                + "relay: {peers: [" + other + "]}\n");
        assertEquals(List.of(other), d.relayPeers().stream().map(Object::toString).toList());
        assertTrue(d.nat().holePunch() && d.nat().userspace() && !d.nat().relayServer());
    }

    @Test
    void aRelayServersLimitsAreReadAndItsHostGetsAConnectionPerReservation() {
        AgentConfig d = parse("podCidr: 10.244.1.0/24\nrelay: {server: true}\n");
        assertEquals(new AgentConfig.RelayLimits(2048, 1024, 4096, 512), d.nat().relayLimits());
        assertEquals(1024 + 2048, d.connections().maxConnections(), "the host's own 1024 and one per reservation");
        assertEquals(1024, parse("podCidr: 10.244.1.0/24\n").connections().maxConnections(), "not a relay");
        AgentConfig c = parse("podCidr: 10.244.1.0/24\nrelay: {server: true, maxReservations: 6000, "
                + "maxReservationsPerIp: 800, maxCircuits: 30000, maxCircuitsPerPeer: 900}\n");
        assertEquals(new AgentConfig.RelayLimits(6000, 800, 30000, 900), c.nat().relayLimits());
        assertEquals(1024 + 6000, c.connections().maxConnections());
        AgentConfig small = parse("podCidr: 10.244.1.0/24\nrelay: {server: true, maxReservations: 100, "
                + "maxCircuits: 50}\nlibp2p: {maxConnections: 300}\n");
        assertEquals(new AgentConfig.RelayLimits(100, 100, 50, 50), small.nat().relayLimits(),
                "a per-source default is capped at a smaller total");
        assertEquals(300, small.connections().maxConnections(), "a set maxConnections wins");
    }

    @Test
    void theHostsConnectionLimitsAreRead() {
        AgentConfig c = parse("podCidr: 10.244.1.0/24\n"
                + "libp2p: {maxConnections: 4096, maxPendingPerIp: 64, maxPendingHandshakes: 512, "
                + "handshakeTimeout: 3s}\n");
        assertEquals(new AgentConfig.Connections(4096, 64, 512, Duration.ofSeconds(3)), c.connections());
    }

    @Test
    void memoryLimitsAreDerivedUnlessSetAndAcceptBinaryUnits() {
        assertEquals(AgentConfig.Memory.derived(), parse("podCidr: 10.244.1.0/24\n").memory());
        AgentConfig c = parse("podCidr: 10.244.1.0/24\n"
                + "memory: {tunnelPeerBytes: 512KiB, tunnelTotalBytes: 16MiB, relayBytes: 1048576}\n");
        assertEquals(OptionalLong.of(512 << 10), c.memory().tunnelPeerBytes());
        assertEquals(OptionalLong.of(16 << 20), c.memory().tunnelTotalBytes());
        assertEquals(OptionalLong.of(1 << 20), c.memory().relayBytes());
    }

    /** A valid swarm key file with {@code mode}, created with it (never readable by others in between). */
    private Path swarmKeyFile(String mode) throws IOException {
        Path psk = dir.resolve("swarm.key");
        Files.deleteIfExists(psk);
        Files.createFile(psk, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(psk, "/key/swarm/psk/1.0.0/\n/base16/\n" + "ab".repeat(32) + "\n");
        Files.setPosixFilePermissions(psk, PosixFilePermissions.fromString(mode));
        return psk;
    }

    @ParameterizedTest
    @CsvSource({"rw-r--r--, 0644", "rw-r-----, 0640", "rw----r--, 0604"})
    void aPskFileOtherUsersMayReadIsRefusedWithItsModeAndTheFix(String mode, String octal) throws IOException {
        Path psk = swarmKeyFile(mode);
        ConfigException e = assertThrows(ConfigException.class,
                () -> parse("podCidr: 10.244.1.0/24\npskFile: " + psk + "\n"));
        assertEquals("pskFile", e.key());
        assertTrue(e.getMessage().contains(psk + " has mode " + octal), e.getMessage());
        assertTrue(e.getMessage().contains("chmod 600 " + psk), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"rw-------", "r--------"})
    void aPskFileOnlyItsOwnerMayReadIsAccepted(String mode) throws IOException {
        Path psk = swarmKeyFile(mode);
        assertEquals(Optional.of(psk), parse("podCidr: 10.244.1.0/24\npskFile: " + psk + "\n").pskFile());
    }

    @Test
    void aFullConfigIsReadAsWritten() throws Exception {
        Path psk = swarmKeyFile("rw-------");
        AgentConfig c = parse(String.join("\n",
                "nodeName: node-a.site1",
                "podCidr: 10.50.3.0/24",
                "clusterCidr: 10.50.0.0/16",
                "listen: [/ip4/10.0.0.1/tcp/4001, /ip4/127.0.0.1/tcp/4002]",
                "bootstrapPeers:",
                "  - /ip4/10.0.0.2/tcp/4001/p2p/" + PEER,
                "mdnsInterfaces: [eth0]",
                "pskFile: " + psk,
                "tunnelMode: vxlan",
                "underlay:",
                "  interface: eth0",
                "  address: 10.0.0.1",
                "stateDir: /tmp/el/state",
                "cniSocket: /tmp/el/cni.sock",
                "statusAddress: '[::1]:9000'",
                "masquerade: false",
                "timeouts:",
                "  recordTtl: 2m",
                "  gossipInterval: 500ms",
                "  probeInterval: 2s",
                "  probeTimeout: 250ms",
                "  probeFailures: 5",
                "  idleTimeout: 10m",
                "  idleProbeInterval: 1m",
                "staticPeers:",
                "  - nodeName: node-b",
                "    podCidr: 10.50.4.0/24",
                "    underlay: 10.0.0.2",
                "    vtepMac: 02:00:00:00:00:02",
                ""));
        assertEquals("node-a.site1", c.nodeName());
        assertEquals(2, c.listen().size());
        assertEquals(PEER, c.bootstrapPeers().get(0).peerId().orElseThrow().toString());
        assertEquals(List.of("eth0"), c.mdnsInterfaces());
        assertEquals(Optional.of(psk), c.pskFile());
        assertEquals(TunnelMode.VXLAN, c.tunnelMode());
        assertEquals(Optional.of("eth0"), c.underlayInterface());
        assertEquals("10.0.0.1", c.underlayAddress().orElseThrow().getHostAddress());
        assertEquals(Path.of("/tmp/el/state/ipam"), c.ipamDir());
        assertTrue(c.statusAddress().getAddress().isLoopbackAddress());
        assertEquals(9000, c.statusAddress().getPort());
        assertEquals(new AgentConfig.Timeouts(Duration.ofMinutes(2), Duration.ofMillis(500), Duration.ofSeconds(2),
                Duration.ofMillis(250), 5, Duration.ofMinutes(10), Duration.ofMinutes(1)), c.timeouts());
        AgentConfig.StaticPeerConfig peer = c.staticPeers().get(0);
        assertEquals("node-b", peer.nodeName());
        assertEquals(Optional.of(MacAddress.parse("02:00:00:00:00:02")), peer.vtepMac());
    }

    static Stream<Arguments> invalid() {
        return Stream.concat(Stream.concat(invalidMemory(), Stream.concat(invalidLibp2p(),
                Stream.concat(invalidRelayLimits(), invalidMembers()))),
                Stream.concat(invalidIdle(), Stream.of(
                Arguments.of("", "podCidr", "is required"),
                Arguments.of("nodeName: x\n", "podCidr", "is required"),
                Arguments.of("podCidr: [a, b]\n", "podCidr", "single value"),
                Arguments.of("podCidr: nope\n", "podCidr", "not a CIDR"),
                Arguments.of("podCidr: 10.244.1.7/24\n", "podCidr", "did you mean 10.244.1.0/24"),
                Arguments.of("podCidr: 10.244.1.0/31\n", "podCidr", "/30 or larger"),
                Arguments.of("podCidr: 'fd00::/64'\n", "podCidr", "not IPv4"),
                Arguments.of("podCidr: 10.99.1.0/24\n", "podCidr", "not inside clusterCidr 10.244.0.0/16"),
                Arguments.of("clusterCidr: 10.244.0.0/33\n", "clusterCidr", "not a CIDR"),
                Arguments.of("nodeName: Node_1\n", "nodeName", "not a valid node name"),
                Arguments.of("listen: /ip4/1.2.3.4/tcp/1\n", "listen", "must be a list"),
                Arguments.of("listen: [/ip4/1.2.3.4/udp/1]\n", "listen[0]", "TCP address without /p2p"),
                Arguments.of("listen: [/foo/1]\n", "listen[0]", "invalid multiaddr"),
                Arguments.of("listen: [/ip4/1.2.3.4/tcp/1/p2p/" + PEER + "]\n", "listen[0]", "without /p2p"),
                Arguments.of("bootstrapPeers: [/ip4/10.0.0.2/tcp/4001]\n", "bootstrapPeers[0]", "/p2p/<peer id>"),
                Arguments.of("bootstrapPeers: [{a: b}]\n", "bootstrapPeers[0]", "single value"),
                Arguments.of("mdnsInterfaces: ['a/b']\n", "mdnsInterfaces[0]", "not an interface name"),
                Arguments.of("pskFile: relative.key\n", "pskFile", "absolute path"),
                Arguments.of("pskFile: /nonexistent/swarm.key\n", "pskFile", "swarm.key"),
                Arguments.of("tunnelMode: wireguard\n", "tunnelMode", "not one of auto, hostgw, vxlan, ipip"),
                Arguments.of("underlay: eth0\n", "underlay", "must be a mapping"),
                Arguments.of("underlay: {interface: 'this-name-is-too-long'}\n", "underlay.interface",
                        "not an interface name"),
                Arguments.of("underlay: {address: 10.0.0.300}\n", "underlay.address", "not an IPv4 address"),
                Arguments.of("underlay: {address: 'fe80::1'}\n", "underlay.address", "not an IPv4 address"),
                Arguments.of("underlay: {mtu: 1500}\n", "underlay.mtu", "unknown key"),
                Arguments.of("stateDir: var/lib/edgelink\n", "stateDir", "absolute path"),
                Arguments.of("cniSocket: run/cni.sock\n", "cniSocket", "absolute path"),
                Arguments.of("cniSocket: /" + "a".repeat(120) + "\n", "cniSocket", "unix socket path"),
                Arguments.of("statusAddress: 0.0.0.0:9473\n", "statusAddress", "not a loopback address"),
                Arguments.of("statusAddress: 10.0.0.1:9473\n", "statusAddress", "loopback only"),
                Arguments.of("statusAddress: localhost:9473\n", "statusAddress", "literal loopback"),
                Arguments.of("statusAddress: 127.0.0.1\n", "statusAddress", "HOST:PORT"),
                Arguments.of("statusAddress: 127.0.0.1:70000\n", "statusAddress", "1..65535"),
                Arguments.of("masquerade: yes please\n", "masquerade", "true or false"),
                Arguments.of("timeouts: 5s\n", "timeouts", "must be a mapping"),
                Arguments.of("timeouts: {recordTtl: forever}\n", "timeouts.recordTtl", "not a duration"),
                Arguments.of("timeouts: {recordTtl: 2s}\n", "timeouts.recordTtl", "at least 4 gossip intervals"),
                Arguments.of("timeouts: {gossipInterval: 0s}\n", "timeouts.gossipInterval", "longer than zero"),
                Arguments.of("timeouts: {gossipInterval: 3m}\n", "timeouts.recordTtl", "at least 4 gossip"),
                Arguments.of("timeouts: {probeInterval: -1s}\n", "timeouts.probeInterval", "not a duration"),
                Arguments.of("timeouts: {probeTimeout: 1m}\n", "timeouts.probeTimeout", "longer than 10s"),
                Arguments.of("timeouts: {probeFailures: 0}\n", "timeouts.probeFailures", "not in 1..100"),
                Arguments.of("timeouts: {probeFailures: many}\n", "timeouts.probeFailures", "whole number"),
                Arguments.of("timeouts: {probeTimout: 1s}\n", "timeouts.probeTimout", "unknown key"),
                Arguments.of("staticPeers: {a: b}\n", "staticPeers", "must be a list"),
                Arguments.of("staticPeers: [x]\n", "staticPeers[0]", "must be a mapping"),
                Arguments.of("staticPeers: [{podCidr: 10.244.2.0/24, underlay: 10.0.0.2}]\n",
                        "staticPeers[0].nodeName", "is required"),
                Arguments.of("staticPeers: [{nodeName: edge-1, podCidr: 10.244.2.0/24, underlay: 10.0.0.2}]\n",
                        "staticPeers[0].nodeName", "this node's name"),
                Arguments.of("staticPeers: [{nodeName: b, underlay: 10.0.0.2}]\n", "staticPeers[0].podCidr",
                        "is required"),
                Arguments.of("staticPeers: [{nodeName: b, podCidr: 10.244.1.0/25, underlay: 10.0.0.2}]\n",
                        "staticPeers[0].podCidr", "overlaps 10.244.1.0/24"),
                Arguments.of("staticPeers: [{nodeName: b, podCidr: 10.244.2.0/24}]\n", "staticPeers[0].underlay",
                        "is required"),
                Arguments.of("staticPeers: [{nodeName: b, podCidr: 10.244.2.0/24, underlay: 10.0.0.2, "
                        + "vtepMac: zz}]\n", "staticPeers[0].vtepMac", "not a MAC address"),
                Arguments.of("staticPeers: [{nodeName: b, podCidr: 10.244.2.0/24, underlay: 10.0.0.2, x: 1}]\n",
                        "staticPeers[0].x", "unknown key"),
                Arguments.of("site: 'a b'\n", "site", "not a site label"),
                Arguments.of("site: [a]\n", "site", "single value"),
                Arguments.of("relay: true\n", "relay", "must be a mapping"),
                Arguments.of("relay: {server: maybe}\n", "relay.server", "true or false"),
                Arguments.of("relay: {peers: [/ip4/198.18.0.3/tcp/4001]}\n", "relay.peers[0]", "/p2p/<peer id>"),
                Arguments.of("relay: {peers: [nonsense]}\n", "relay.peers[0]", "nonsense"),
                Arguments.of("relay: {port: 1}\n", "relay.port", "unknown key"),
                Arguments.of("holePunch: often\n", "holePunch", "true or false"),
                Arguments.of("userspace: 1\n", "userspace", "true or false"),
                Arguments.of("podcidr: 10.244.1.0/24\n", "podcidr", "unknown key"),
                Arguments.of("- a\n- b\n", "", "must be a mapping"),
                Arguments.of("podCidr: 10.244.1.0/24\npodCidr: 10.244.2.0/24\n", "--config", "Duplicate field"),
                Arguments.of("podCidr: [unclosed\n", "--config", "not valid YAML"))));
    }

    static Stream<Arguments> invalidIdle() {
        return Stream.of(
                Arguments.of("timeouts: {idleTimeout: 0s}\n", "timeouts.idleTimeout", "longer than zero"),
                Arguments.of("timeouts: {idleProbeInterval: 100ms}\n", "timeouts.idleProbeInterval",
                        "shorter than probeInterval (300ms)"));
    }

    static Stream<Arguments> invalidTrust() {
        return Stream.of(
                Arguments.of("trust: {}\n", "trust.caFiles", "is required"),
                Arguments.of("trust: {insecure: true, caFiles: [/etc/ca.crt]}\n", "trust.insecure",
                        "cannot be true"),
                Arguments.of("trust: {caFiles: [/etc/ca.crt]}\n", "trust.certFile", "is required"),
                Arguments.of("trust: {caFiles: [ca.crt], certFile: /n.crt}\n", "trust.caFiles[0]", "absolute"),
                Arguments.of("trust: {insecure: maybe}\n", "trust.insecure", "true or false"),
                Arguments.of("trust: {insecure: true, kernelUnderlays: [nope]}\n", "trust.kernelUnderlays[0]",
                        "not a CIDR"),
                Arguments.of("trust: {insecure: true, clockSkew: soon}\n", "trust.clockSkew", "soon"),
                Arguments.of("trust: {insecure: true, key: x}\n", "trust.key", "unknown key"));
    }

    @ParameterizedTest(name = "{1}: {2}")
    @MethodSource("invalidTrust")
    void anInvalidTrustSettingIsRefusedWithItsKeyNamed(String body, String key, String fragment) {
        anInvalidSettingIsRefusedWithItsKeyNamed(body, key, fragment);
    }

    static Stream<Arguments> invalidRelayLimits() {
        return Stream.of(
                Arguments.of("relay: {maxCircuits: 0}\n", "relay.maxCircuits", "at least 1"),
                Arguments.of("relay: {maxReservations: many}\n", "relay.maxReservations", "whole number"),
                Arguments.of("relay: {maxReservations: 100, maxReservationsPerIp: 101}\n",
                        "relay.maxReservationsPerIp", "must not be above relay.maxReservations (100)"),
                Arguments.of("relay: {maxCircuitsPerPeer: 5000}\n", "relay.maxCircuitsPerPeer",
                        "must not be above relay.maxCircuits (4096)"));
    }

    static Stream<Arguments> invalidLibp2p() {
        return Stream.of(
                Arguments.of("libp2p: {maxConnections: 0}\n", "libp2p.maxConnections", "at least 1"),
                Arguments.of("libp2p: {maxPendingPerIp: -1}\n", "libp2p.maxPendingPerIp", "at least 1"),
                Arguments.of("libp2p: {maxPendingHandshakes: many}\n", "libp2p.maxPendingHandshakes",
                        "whole number"),
                Arguments.of("libp2p: {handshakeTimeout: 0s}\n", "libp2p.handshakeTimeout", "longer than zero"),
                Arguments.of("libp2p: {handshakeTimeout: 1m}\n", "libp2p.handshakeTimeout",
                        "longer than the upgrade timeout (10s)"),
                Arguments.of("libp2p: {maxStreams: 1}\n", "libp2p.maxStreams", "unknown key"));
    }

    static Stream<Arguments> invalidMembers() {
        return Stream.of(
                Arguments.of("members: {maxRecords: 10}\n", "members.maxRecords", "not in 64..65536"),
                Arguments.of("members: {pushFanout: 33}\n", "members.pushFanout", "not in 0..32"),
                Arguments.of("members: {fanout: 3}\n", "members.fanout", "unknown key"));
    }

    @Test
    void theMembershipViewsSizeAndFanoutAreReadAsWritten() {
        AgentConfig c = parse("podCidr: 10.244.1.0/24\nmembers: {maxRecords: 20000, pushFanout: 0}\n");
        assertEquals(new AgentConfig.Members(20000, 0), c.members());
    }

    static Stream<Arguments> invalidMemory() {
        return Stream.of(
                Arguments.of("memory: {tunnelPeerBytes: lots}\n", "memory.tunnelPeerBytes", "not a size"),
                Arguments.of("memory: {tunnelPeerBytes: 4KiB}\n", "memory.tunnelPeerBytes", "least that works"),
                Arguments.of("memory: {tunnelPeerBytes: 2MiB, tunnelTotalBytes: 1MiB}\n",
                        "memory.tunnelTotalBytes", "not be below memory.tunnelPeerBytes"),
                Arguments.of("memory: {relayBytes: 1kB}\n", "memory.relayBytes", "not a size"),
                Arguments.of("memory: {queue: 1}\n", "memory.queue", "unknown key"));
    }

    @ParameterizedTest(name = "{1}: {2}")
    @MethodSource("invalid")
    void anInvalidSettingIsRefusedWithItsKeyNamed(String body, String key, String fragment) {
        // Cases about other keys get a valid pod CIDR; cases about the file or the pod CIDR are taken as written.
        boolean asWritten = body.isEmpty() || body.startsWith("-") || body.startsWith("nodeName: x")
                || body.matches("(?s)(^|.*\n)podc?[iC]idr:.*");
        String yaml = asWritten ? body : "podCidr: 10.244.1.0/24\n" + body;
        ConfigException e = assertThrows(ConfigException.class, () -> parse(yaml));
        assertEquals(key, e.key(), e.getMessage());
        assertTrue(e.getMessage().startsWith("config key '" + key + "': "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    @Test
    void aMissingFileIsNamed() {
        ConfigException e = assertThrows(ConfigException.class, () -> LOADER.load(dir.resolve("none.yaml")));
        assertEquals("--config", e.key());
        assertTrue(e.getMessage().contains("none.yaml"), e.getMessage());
    }
}
