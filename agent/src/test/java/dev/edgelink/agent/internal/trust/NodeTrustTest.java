package dev.edgelink.agent.internal.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.agent.config.AgentConfig;
import dev.edgelink.agent.config.ConfigException;
import dev.edgelink.agent.config.ConfigLoader;
import dev.edgelink.discovery.trust.CaCertificate;
import dev.edgelink.discovery.trust.NodeCertificate;
import dev.edgelink.discovery.trust.RevocationList;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.net.IpPrefix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's own trust at start: a certificate that is not this node's, or not the CA's, stops it with why. */
class NodeTrustTest {
    private static final long NOW = 1_800_000_000_000L;
    private static final long DAY = Duration.ofDays(1).toMillis();
    private static final PrivKey CA_KEY = Keys.generateEd25519();
    private static final CaCertificate CA = CaCertificate.create(CA_KEY, "test-ca", NOW - DAY, NOW + 100 * DAY);
    private static final PrivKey NODE_KEY = Keys.generateEd25519();
    private static final PeerId NODE = PeerId.fromPublicKey(NODE_KEY.publicKey());

    @TempDir
    Path dir;

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private NodeCertificate cert(CaCertificate ca, PrivKey caKey, PeerId peer, String cidr, String site,
            boolean relay) {
        return NodeCertificate.sign(caKey, ca, "edge-1", peer, List.of(IpPrefix.parseNetwork(cidr)), site, relay,
                NOW - DAY, NOW + 10 * DAY);
    }

    private AgentConfig config(NodeCertificate c, String more) throws IOException {
        Path ca = write("ca.crt", CA.encoded());
        Path crt = write("node.crt", c.encoded());
        return new ConfigLoader(() -> "host").parse("trust: {caFiles: [" + ca + "], certFile: " + crt
                + ", revocationFile: " + dir.resolve("revocations.crl") + "}\nstateDir: " + dir + "\n" + more);
    }

    private ConfigException refused(AgentConfig config) {
        return assertThrows(ConfigException.class, () -> NodeTrust.load(config, NODE, NOW));
    }

    @Test
    void theCertificateGivesNameCidrAndSiteAndTheRecordCarriesIt() throws IOException {
        NodeCertificate c = cert(CA, CA_KEY, NODE, "10.244.5.0/24", "a", false);
        AgentConfig config = config(c, "");
        assertEquals("edge-1", config.nodeName());
        assertEquals("10.244.5.0/24", config.podCidr().toString());
        assertEquals("a", config.site());
        NodeTrust trust = NodeTrust.load(config, NODE, NOW);
        assertFalse(trust.insecure());
        assertEquals(c, trust.certificate().orElseThrow());
        assertTrue(trust.membership().hasCa());
    }

    @Test
    void aCertificateForAnotherKeyNameCidrSiteOrRoleStopsTheStart() throws IOException {
        PeerId other = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        assertTrue(refused(config(cert(CA, CA_KEY, other, "10.244.5.0/24", "", false), "")).getMessage()
                .contains("this node's key"));
        assertTrue(refused(config(cert(CA, CA_KEY, NODE, "10.244.5.0/24", "", false), "podCidr: 10.244.6.0/24\n"))
                .getMessage().contains("not granted"));
        assertTrue(refused(config(cert(CA, CA_KEY, NODE, "10.244.5.0/24", "", false), "nodeName: edge-2\n"))
                .getMessage().contains("for node edge-1"));
        assertTrue(refused(config(cert(CA, CA_KEY, NODE, "10.244.5.0/24", "a", false), "site: b\n"))
                .getMessage().contains("site 'b'"));
        assertTrue(refused(config(cert(CA, CA_KEY, NODE, "10.244.5.0/24", "", false), "relay: {server: true}\n"))
                .getMessage().contains("relay role"));
    }

    @Test
    void aCertificateOfAnotherCaOrOutOfItsTimeStopsTheStart() throws IOException {
        PrivKey otherKey = Keys.generateEd25519();
        CaCertificate other = CaCertificate.create(otherKey, "other-ca", NOW - DAY, NOW + 100 * DAY);
        ConfigException foreign = refused(config(cert(other, otherKey, NODE, "10.244.5.0/24", "", false), ""));
        assertTrue(foreign.getMessage().contains("does not verify"), foreign.getMessage());
        AgentConfig ok = config(cert(CA, CA_KEY, NODE, "10.244.5.0/24", "", false), "");
        ConfigException late = assertThrows(ConfigException.class, () -> NodeTrust.load(ok, NODE, NOW + 11 * DAY));
        assertTrue(late.getMessage().contains("does not verify"), late.getMessage());
    }

    @Test
    void aRevocationListThatNamesThisNodeStopsTheStartAndOneThatDoesNotIsHeld() throws IOException {
        NodeCertificate c = cert(CA, CA_KEY, NODE, "10.244.5.0/24", "", false);
        AgentConfig config = config(c, "");
        write("revocations.crl", RevocationList.sign(CA_KEY, CA, 3, NOW, Set.of(), Map.of("edge-9", NOW))
                .encoded());
        NodeTrust trust = NodeTrust.load(config, NODE, NOW);
        assertEquals(3, trust.membership().revocations().get(0).sequence());
        write("revocations.crl", RevocationList.sign(CA_KEY, CA, 4, NOW, Set.of(c.fingerprint()), Map.of())
                .encoded());
        assertTrue(refused(config).getMessage().contains("is revoked"));
    }

    @Test
    void withoutACaTheTrustIsInsecureAndSaysSo() {
        AgentConfig config = new ConfigLoader(() -> "host").parse("podCidr: 10.244.1.0/24\ntrust: {insecure: true}\n");
        NodeTrust trust = NodeTrust.load(config, NODE, NOW);
        assertTrue(trust.insecure());
        assertTrue(trust.certificate().isEmpty());
    }
}
