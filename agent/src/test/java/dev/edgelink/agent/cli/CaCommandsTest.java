package dev.edgelink.agent.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgelink.discovery.trust.CaCertificate;
import dev.edgelink.discovery.trust.NodeCertificate;
import dev.edgelink.discovery.trust.RevocationList;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.peer.PeerId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code edgelink ca}: init, sign, revoke and show through Main.run on temporary directories, with a set clock. */
class CaCommandsTest {

    private static final long T0 = Instant.parse("2026-01-05T10:00:00Z").toEpochMilli();
    private static final long HOUR = 3_600_000L;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final AtomicLong now = new AtomicLong(T0);
    private final InstantSource clock = () -> Instant.ofEpochMilli(now.get());
    private Path ca;
    private Path nodeKey;
    private JsonNode last;

    @BeforeEach
    void setUp() {
        ca = tmp.resolve("ca");
        nodeKey = tmp.resolve("node.key");
        Keys.loadOrCreate(nodeKey);
    }

    /** Runs {@code edgelink args...} and keeps the last JSON line it printed. */
    private int run(String... args) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = Main.run(args, new JsonOut(new PrintStream(bytes, true, StandardCharsets.UTF_8)), clock);
        List<String> lines = new ArrayList<>(bytes.toString(StandardCharsets.UTF_8).lines().toList());
        last = lines.isEmpty() ? null : JSON.readTree(lines.get(lines.size() - 1));
        return code;
    }

    private int sign(String node, String out, String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of("ca", "sign", "--dir", ca.toString(), "--node", node,
                "--pod-cidr", "10.244.1.0/24", "--pod-cidr", "fd00:10:244:1::/64", "--key", nodeKey.toString(),
                "--out", tmp.resolve(out).toString()));
        args.addAll(List.of(more));
        return run(args.toArray(String[]::new));
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void initCreatesAPrivateDirectoryWithKeyAndCertificate() throws IOException {
        assertEquals(0, run("ca", "init", "--dir", ca.toString(), "--name", "lab ca", "--validity", "1000h"));
        assertEquals("ca:created", last.get("event").asText());
        assertEquals("rwx------", mode(ca));
        assertEquals("rw-------", mode(ca.resolve("ca.key")));
        assertEquals("rw-r--r--", mode(ca.resolve("ca.crt")));
        CaCertificate cert = CaCertificate.decode(Files.readAllBytes(ca.resolve("ca.crt")));
        assertEquals("lab ca", cert.name());
        assertEquals(T0, cert.notBeforeMillis());
        assertEquals(T0 + 1000 * HOUR, cert.notAfterMillis());
        assertEquals(cert.fingerprint().hex(), last.get("fingerprint").asText());
        assertEquals("2026-02-16T02:00:00Z", last.get("notAfter").asText());   // 41 days and 16 hours on
        PrivKey key = Keys.unmarshalPrivateKey(Files.readAllBytes(ca.resolve("ca.key")));
        assertEquals(cert.publicKey(), key.publicKey());
    }

    @Test
    void initDefaultsToTenYearsAndTheUsualName() throws IOException {
        assertEquals(0, run("ca", "init", "--dir", ca.toString()));
        assertEquals("edgelink-ca", last.get("name").asText());
        assertEquals(Instant.ofEpochMilli(T0 + 87_600 * HOUR).toString(), last.get("notAfter").asText());
    }

    @Test
    void initRefusesToReplaceAnExistingCa() throws IOException {
        assertEquals(0, run("ca", "init", "--dir", ca.toString()));
        byte[] key = Files.readAllBytes(ca.resolve("ca.key"));
        byte[] cert = Files.readAllBytes(ca.resolve("ca.crt"));
        assertEquals(1, run("ca", "init", "--dir", ca.toString()));
        assertEquals("error", last.get("event").asText());
        assertTrue(last.get("reason").asText().contains("a CA already exists in " + ca), last.toString());
        assertArrayEquals(key, Files.readAllBytes(ca.resolve("ca.key")));
        assertArrayEquals(cert, Files.readAllBytes(ca.resolve("ca.crt")));
    }

    @Test
    void initWithABadNameLeavesNothingBehind() throws IOException {
        assertEquals(2, run("ca", "init", "--dir", ca.toString(), "--name", "x".repeat(65)));
        assertFalse(Files.exists(ca.resolve("ca.key")));
        assertEquals(2, run("ca", "init", "--dir", ca.toString(), "--validity", "10 years"));
        assertTrue(last.get("reason").asText().contains("--validity '10 years'"), last.toString());
        assertEquals(0, run("ca", "init", "--dir", ca.toString()));
    }

    @Test
    void signRevokeShowRoundTrip() throws IOException {
        assertEquals(0, run("ca", "init", "--dir", ca.toString()));
        now.addAndGet(HOUR);
        assertEquals(0, sign("edge-1", "edge-1.crt", "--site", "lab-a", "--relay"));
        assertEquals("ca:signed", last.get("event").asText());
        Path crt = tmp.resolve("edge-1.crt");
        assertEquals("rw-r--r--", mode(crt));
        NodeCertificate first = NodeCertificate.parse(Files.readAllBytes(crt));
        assertEquals(PeerId.fromPublicKey(Keys.loadOrCreate(nodeKey).publicKey()), first.peerId());
        assertEquals(T0 + HOUR, first.notBeforeMillis());
        assertEquals(T0 + HOUR + 8_760 * HOUR, first.notAfterMillis());
        assertTrue(Files.exists(ca.resolve("issued").resolve(first.fingerprint().hex() + ".crt")));

        assertEquals(0, run("ca", "show", crt.toString(), "--dir", ca.toString()));
        assertEquals("node", last.get("kind").asText());
        assertEquals("edge-1", last.get("node").asText());
        assertEquals(first.peerId().toString(), last.get("peerId").asText());
        assertEquals("[\"10.244.1.0/24\",\"fd00:10:244:1::/64\"]", last.get("podCidrs").toString());
        assertEquals("lab-a", last.get("site").asText());
        assertTrue(last.get("relay").asBoolean());
        assertEquals("2026-01-05T11:00:00Z", last.get("notBefore").asText());
        assertEquals(first.fingerprint().hex(), last.get("fingerprint").asText());
        assertTrue(last.get("verified").asBoolean(), last.toString());

        now.addAndGet(HOUR);
        assertEquals(0, sign("edge-1", "edge-1b.crt"));
        now.addAndGet(HOUR);
        Path crl = tmp.resolve("out.crl");
        assertEquals(0, run("ca", "revoke", "--dir", ca.toString(), "--cert", crt.toString(), "--out",
                crl.toString()));
        assertEquals(1, last.get("sequence").asLong());
        assertEquals(first.fingerprint().hex(), last.get("certificate").asText());
        assertArrayEquals(Files.readAllBytes(crl), Files.readAllBytes(ca.resolve("revocations.crl")));
        assertEquals(1, run("ca", "show", crt.toString(), "--dir", ca.toString()));
        assertFalse(last.get("verified").asBoolean());
        assertEquals("REVOKED", last.get("problem").asText());
        assertEquals(0, run("ca", "show", tmp.resolve("edge-1b.crt").toString(), "--dir", ca.toString()));

        now.addAndGet(HOUR);
        assertEquals(0, run("ca", "revoke", "--dir", ca.toString(), "--node", "edge-1", "--out", crl.toString()));
        assertEquals(2, last.get("sequence").asLong());
        assertEquals(2, last.get("revokedIssued").size(), last.toString());
        assertEquals(1, run("ca", "show", tmp.resolve("edge-1b.crt").toString(), "--dir", ca.toString()));
        assertEquals("REVOKED", last.get("problem").asText());

        now.addAndGet(1);
        assertEquals(0, sign("edge-1", "edge-1c.crt"));
        assertEquals(0, run("ca", "show", tmp.resolve("edge-1c.crt").toString(), "--dir", ca.toString()),
                "a certificate signed after the revocation re-admits the node");

        assertEquals(0, run("ca", "show", crl.toString(), "--ca", ca.resolve("ca.crt").toString()));
        assertEquals("revocation", last.get("kind").asText());
        assertEquals(2, last.get("sequence").asLong());
        assertEquals("[\"" + first.fingerprint().hex() + "\"]", last.get("revokedCertificates").toString());
        assertEquals("edge-1", last.get("revokedNodes").get(0).get("node").asText());
        assertEquals("2026-01-05T14:00:00Z", last.get("revokedNodes").get(0).get("issuedBefore").asText());
        assertTrue(last.get("verified").asBoolean());
        RevocationList list = RevocationList.parse(Files.readAllBytes(crl));
        assertEquals(2, list.sequence());

        assertEquals(0, run("ca", "show", ca.resolve("ca.crt").toString(), "--dir", ca.toString()));
        assertEquals("ca", last.get("kind").asText());
        assertTrue(last.get("verified").asBoolean());
    }

    @Test
    void signTakesAPeerIdInsteadOfAKey() throws IOException {
        assertEquals(0, run("ca", "init", "--dir", ca.toString()));
        PeerId peer = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        assertEquals(0, run("ca", "sign", "--dir", ca.toString(), "--node", "edge-2", "--pod-cidr", "10.244.2.0/24",
                "--peer-id", peer.toString(), "--out", tmp.resolve("edge-2.crt").toString()));
        assertEquals(peer.toString(), last.get("peerId").asText());
        assertEquals(2, run("ca", "sign", "--dir", ca.toString(), "--node", "edge-2", "--pod-cidr", "10.244.2.0/24",
                "--peer-id", peer.toString(), "--key", nodeKey.toString(), "--out", tmp.resolve("x.crt").toString()));
        assertTrue(last.get("reason").asText().contains("exactly one of --peer-id"), last.toString());
        assertEquals(2, run("ca", "sign", "--dir", ca.toString(), "--node", "edge-2", "--pod-cidr", "10.244.2.0/24",
                "--key", tmp.resolve("missing.key").toString(), "--out", tmp.resolve("x.crt").toString()));
        assertFalse(Files.exists(tmp.resolve("missing.key")), "a missing node key is never created");
    }

    @Test
    void signRefusesACaKeyOthersCanRead() throws IOException {
        assertEquals(0, run("ca", "init", "--dir", ca.toString()));
        Path key = ca.resolve("ca.key");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r-----"));
        assertEquals(1, sign("edge-1", "edge-1.crt"));
        String reason = last.get("reason").asText();
        assertTrue(reason.contains("CA key file " + key) && reason.contains("chmod 600 " + key), reason);
        assertFalse(Files.exists(tmp.resolve("edge-1.crt")));
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        assertEquals(0, sign("edge-1", "edge-1.crt"));
    }

    @Test
    void signRefusesAValidityBeyondTheCa() throws IOException {
        assertEquals(0, run("ca", "init", "--dir", ca.toString(), "--validity", "100h"));
        now.addAndGet(10 * HOUR);
        assertEquals(1, sign("edge-1", "edge-1.crt"));
        String reason = last.get("reason").asText();
        assertTrue(reason.contains("valid for 8760h") && reason.contains("expires at 2026-01-09T14:00:00Z")
                && reason.contains("--validity 90h or less"), reason);
        assertFalse(Files.exists(tmp.resolve("edge-1.crt")));
        assertEquals(1, sign("edge-1", "edge-1.crt", "--validity", "91h"));
        assertEquals(0, sign("edge-1", "edge-1.crt", "--validity", "90h"));
    }

    @Test
    void signRefusesBadCidrsNamesAndSites() throws IOException {
        assertEquals(0, run("ca", "init", "--dir", ca.toString()));
        assertEquals(2, run("ca", "sign", "--dir", ca.toString(), "--node", "edge-1", "--pod-cidr", "10.244.1.1/24",
                "--key", nodeKey.toString(), "--out", tmp.resolve("x.crt").toString()));
        assertTrue(last.get("reason").asText().contains("--pod-cidr '10.244.1.1/24'"), last.toString());
        assertEquals(2, run("ca", "sign", "--dir", ca.toString(), "--node", "edge-1", "--key", nodeKey.toString(),
                "--out", tmp.resolve("x.crt").toString()));
        assertTrue(last.get("reason").asText().contains("missing option --pod-cidr"), last.toString());
        assertEquals(2, sign("Edge_1", "x.crt"));
        assertTrue(last.get("reason").asText().contains("node name 'Edge_1'"), last.toString());
        assertEquals(2, sign("edge-1", "x.crt", "--site", "Lab A"));
        assertTrue(last.get("reason").asText().contains("site 'Lab A'"), last.toString());
        assertFalse(Files.exists(tmp.resolve("x.crt")));
    }

    @Test
    void revokeRefusesACertificateOfAnotherCa() throws IOException {
        Path other = tmp.resolve("other");
        assertEquals(0, run("ca", "init", "--dir", other.toString(), "--name", "other"));
        assertEquals(0, run("ca", "sign", "--dir", other.toString(), "--node", "edge-9", "--pod-cidr",
                "10.244.9.0/24", "--key", nodeKey.toString(), "--out", tmp.resolve("foreign.crt").toString()));
        assertEquals(0, run("ca", "init", "--dir", ca.toString()));
        assertEquals(1, run("ca", "revoke", "--dir", ca.toString(), "--cert", tmp.resolve("foreign.crt").toString(),
                "--out", tmp.resolve("out.crl").toString()));
        assertEquals("MISMATCH", last.get("problem").asText());
        assertTrue(last.get("reason").asText().contains("node 'edge-9'"), last.toString());
        assertFalse(Files.exists(ca.resolve("revocations.crl")));
        assertFalse(Files.exists(tmp.resolve("out.crl")));
        assertEquals(1, run("ca", "show", tmp.resolve("foreign.crt").toString(), "--dir", ca.toString()));
        assertEquals("UNKNOWN_CA", last.get("problem").asText());
    }

    @Test
    void showOnATamperedFileFailsNamingTheProblem() throws IOException {
        assertEquals(0, run("ca", "init", "--dir", ca.toString()));
        assertEquals(0, sign("edge-1", "edge-1.crt"));
        byte[] good = Files.readAllBytes(tmp.resolve("edge-1.crt"));

        byte[] badSignature = good.clone();
        badSignature[badSignature.length - 1] ^= 1;
        Path f = tmp.resolve("tampered.crt");
        Files.write(f, badSignature);
        assertEquals(1, run("ca", "show", f.toString(), "--dir", ca.toString()));
        assertEquals("BAD_SIGNATURE", last.get("problem").asText());
        assertTrue(last.get("reason").asText().contains("edge-1"), last.toString());

        byte[] broken = good.clone();
        broken[0] ^= 0x40;
        Files.write(f, broken);
        assertEquals(1, run("ca", "show", f.toString()));
        assertEquals("error", last.get("event").asText());
        assertEquals("MALFORMED", last.get("problem").asText());

        byte[] caBytes = Files.readAllBytes(ca.resolve("ca.crt"));
        caBytes[caBytes.length - 5] ^= 1;
        Files.write(f, caBytes);
        assertEquals(1, run("ca", "show", f.toString()));
        assertEquals("BAD_SIGNATURE", last.get("problem").asText());
        assertTrue(last.get("reason").asText().contains("self-signature"), last.toString());

        Files.write(f, "not a certificate\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals(1, run("ca", "show", f.toString()));
        assertEquals("MALFORMED", last.get("problem").asText());
    }

    @Test
    void showSaysWhenACertificateHasExpired() throws IOException {
        assertEquals(0, run("ca", "init", "--dir", ca.toString()));
        assertEquals(0, sign("edge-1", "edge-1.crt", "--validity", "24h"));
        now.addAndGet(24 * HOUR);
        assertEquals(1, run("ca", "show", tmp.resolve("edge-1.crt").toString(), "--dir", ca.toString()));
        assertEquals("EXPIRED", last.get("problem").asText());
        assertTrue(last.get("reason").asText().contains("expired at 2026-01-06T10:00:00Z"), last.toString());
        assertEquals(0, run("ca", "show", tmp.resolve("edge-1.crt").toString()), "without a CA only the fields");
        assertFalse(last.has("verified"));
    }

    @Test
    void badUsageExitsTwo() throws IOException {
        assertEquals(2, run("ca"));
        assertEquals(2, run("ca", "frobnicate"));
        assertEquals(2, run("ca", "init"));
        assertEquals(2, run("ca", "init", "--dir", ca.toString(), "--relay"));
        assertEquals(2, run("ca", "revoke", "--dir", ca.toString(), "--out", tmp.resolve("x").toString()));
        assertEquals(2, run("ca", "show"));
        assertEquals(2, run("ca", "sign", "--dir", ca.toString(), "--node", "edge-1", "--pod-cidr", "10.244.1.0/24",
                "--key", nodeKey.toString(), "--out", tmp.resolve("x.crt").toString()), "no CA in the directory");
        assertTrue(last.get("reason").asText().contains("ca init --dir"), last.toString());
    }
}
