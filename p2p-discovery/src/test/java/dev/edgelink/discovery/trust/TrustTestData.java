package dev.edgelink.discovery.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.edgelink.discovery.internal.pb.TrustProto;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.net.IpPrefix;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.function.Executable;

/**
 * The keys, times and objects of the trust tests. The fixed keys come from seeds 0x01.. and 0x02..; their public
 * halves are read from trust-vectors.csv (written by another Ed25519), and loading the key checks that they match.
 */
final class TrustTestData {

    static final HexFormat HEX = HexFormat.of();
    /** 2023-11-14T22:13:20Z: the start of every test object's validity. */
    static final long T0 = 1_700_000_000_000L;
    static final long HOUR = 3_600_000L;
    static final long CA_END = T0 + 87_600 * HOUR;
    static final long NODE_END = T0 + 8_760 * HOUR;
    static final Map<String, String> VECTORS = readVectors();
    static final PrivKey CA_KEY = fixedKey(0x01, VECTORS.get("ca-public-key"));
    static final PrivKey NODE_KEY = fixedKey(0x02, VECTORS.get("node-public-key"));
    static final PeerId NODE_PEER = PeerId.fromPublicKey(NODE_KEY.publicKey());
    static final List<IpPrefix> CIDRS = List.of(IpPrefix.parseNetwork("10.244.1.0/24"),
            IpPrefix.parseNetwork("fd00:10:244:1::/64"));

    private TrustTestData() {
    }

    static byte[] vector(String name) {
        return HEX.parseHex(VECTORS.get(name));
    }

    /** The CA of the vectors: "edgelink-ca", valid T0 for 87600 h. */
    static CaCertificate ca() {
        return CaCertificate.create(CA_KEY, "edgelink-ca", T0, CA_END);
    }

    /** The node certificate of the vectors: edge-1, both CIDRs, site lab-a, relay, valid T0 for 8760 h. */
    static NodeCertificate node() {
        return NodeCertificate.sign(CA_KEY, ca(), "edge-1", NODE_PEER, CIDRS, "lab-a", true, T0, NODE_END);
    }

    /** A node certificate of the vectors' CA for {@code name}, valid from {@code notBefore} to the CA's end. */
    static NodeCertificate node(String name, long notBefore) {
        return NodeCertificate.sign(CA_KEY, ca(), name, NODE_PEER, CIDRS, "", false, notBefore, CA_END);
    }

    /** The NodeBody of {@link #node()}, to be broken by the caller. */
    static TrustProto.NodeBody.Builder nodeBody() {
        return TrustProto.NodeBody.newBuilder()
                .setNodeName("edge-1")
                .setPeerId(ByteString.copyFrom(NODE_PEER.toBytes()))
                .addPodCidrs("10.244.1.0/24")
                .addPodCidrs("fd00:10:244:1::/64")
                .setSite("lab-a")
                .setRelay(true)
                .setNotBeforeMs(T0)
                .setNotAfterMs(NODE_END)
                .setCaFingerprint(ByteString.copyFrom(ca().fingerprint().bytes()));
    }

    static TrustProto.CaBody.Builder caBody() {
        return TrustProto.CaBody.newBuilder()
                .setName("edgelink-ca")
                .setPublicKey(ByteString.copyFrom(CA_KEY.publicKey().raw()))
                .setNotBeforeMs(T0)
                .setNotAfterMs(CA_END);
    }

    static TrustProto.RevocationBody.Builder revocationBody() {
        return TrustProto.RevocationBody.newBuilder()
                .setCaFingerprint(ByteString.copyFrom(ca().fingerprint().bytes()))
                .setSequence(1)
                .setIssuedAtMs(T0 + 600_000);
    }

    /** An envelope of {@code kind} around {@code body}, signed by {@code key} in the domain of {@code domain}. */
    static byte[] envelope(int kind, byte[] body, PrivKey key, String domain) {
        byte[] d = domain.getBytes(StandardCharsets.US_ASCII);
        byte[] payload = new byte[d.length + body.length];
        System.arraycopy(d, 0, payload, 0, d.length);
        System.arraycopy(body, 0, payload, d.length, body.length);
        return TrustProto.SignedTrust.newBuilder()
                .setKindValue(kind)
                .setBody(ByteString.copyFrom(body))
                .setSignature(ByteString.copyFrom(key.sign(payload)))
                .build().toByteArray();
    }

    static byte[] signedNode(TrustProto.NodeBody.Builder body) {
        return envelope(2, body.build().toByteArray(), CA_KEY, "edgelink-trust-node:");
    }

    static byte[] signedCa(TrustProto.CaBody.Builder body) {
        return envelope(1, body.build().toByteArray(), CA_KEY, "edgelink-trust-ca:");
    }

    static byte[] signedRevocation(TrustProto.RevocationBody.Builder body) {
        return envelope(3, body.build().toByteArray(), CA_KEY, "edgelink-trust-revocation:");
    }

    /** Asserts that {@code call} is refused for {@code problem} with a message containing every {@code part}. */
    static InvalidCertificateException refused(TrustProblem problem, Executable call, String... parts) {
        InvalidCertificateException e = assertThrows(InvalidCertificateException.class, call);
        assertEquals(problem, e.problem(), e.getMessage());
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' should mention '" + part + "'");
        }
        return e;
    }

    static byte[] flipBit(byte[] bytes, int bit) {
        byte[] out = bytes.clone();
        out[bit / 8] ^= (byte) (0x80 >>> (bit % 8));
        return out;
    }

    /** A libp2p Ed25519 private key from a seed of 32 equal bytes and its public half. */
    private static PrivKey fixedKey(int seedByte, String publicHex) {
        byte[] marshalled = new byte[4 + 64];
        marshalled[0] = 0x08;
        marshalled[1] = 0x01;
        marshalled[2] = 0x12;
        marshalled[3] = 64;
        for (int i = 0; i < 32; i++) {
            marshalled[4 + i] = (byte) seedByte;
        }
        System.arraycopy(HEX.parseHex(publicHex), 0, marshalled, 36, 32);
        return Keys.unmarshalPrivateKey(marshalled);
    }

    private static Map<String, String> readVectors() {
        Map<String, String> out = new HashMap<>();
        try (InputStream in = TrustTestData.class.getResourceAsStream("trust-vectors.csv");
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    String[] parts = line.split(",");
                    out.put(parts[0], parts[1]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
