package dev.edgelink.discovery.trust;

import static dev.edgelink.discovery.trust.TrustTestData.CA_END;
import static dev.edgelink.discovery.trust.TrustTestData.CA_KEY;
import static dev.edgelink.discovery.trust.TrustTestData.CIDRS;
import static dev.edgelink.discovery.trust.TrustTestData.NODE_PEER;
import static dev.edgelink.discovery.trust.TrustTestData.T0;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Creating and signing certificates: round trips, and what the signer refuses. */
class CertificatesTest {

    private final CaCertificate ca = TrustTestData.ca();

    @Test
    void aCaCertificateRoundTrips() {
        CaCertificate back = CaCertificate.decode(ca.encoded());
        assertEquals(ca, back);
        assertEquals(ca.fingerprint(), back.fingerprint());
        assertEquals(Fingerprint.of(ca.encoded()), ca.fingerprint());
        assertTrue(back.toString().contains("'edgelink-ca'"));
    }

    @Test
    void onlyEd25519KeysCanBeCaKeys() {
        // secp256k1 private key protobuf: type 2, a 32-byte scalar
        byte[] secp = new byte[4 + 32];
        secp[0] = 0x08;
        secp[1] = 0x02;
        secp[2] = 0x12;
        secp[3] = 32;
        secp[35] = 7;
        PrivKey key = Keys.unmarshalPrivateKey(secp);
        configurationError(() -> CaCertificate.create(key, "x", T0, CA_END), "Ed25519");
        configurationError(() -> CaCertificate.create(CA_KEY, "", T0, CA_END), "CA name ''");
        configurationError(() -> CaCertificate.create(CA_KEY, "ca", T0, T0), "not later than its start");
    }

    @Test
    void signingRefusesAKeyThatIsNotTheCas() {
        configurationError(() -> NodeCertificate.sign(Keys.generateEd25519(), ca, "edge-1", NODE_PEER, CIDRS, "",
                false, T0, CA_END), "not the key of CA 'edgelink-ca'", "edge-1");
    }

    @Test
    void signingRefusesAValidityOutsideTheCas() {
        configurationError(() -> NodeCertificate.sign(CA_KEY, ca, "edge-1", NODE_PEER, CIDRS, "", false, T0,
                CA_END + 1), "within the validity of CA 'edgelink-ca'", "2033-11-11T22:13:20Z");
        configurationError(() -> NodeCertificate.sign(CA_KEY, ca, "edge-1", NODE_PEER, CIDRS, "", false, T0 - 1,
                CA_END), "2023-11-14T22:13:19.999Z");
        NodeCertificate whole = NodeCertificate.sign(CA_KEY, ca, "edge-1", NODE_PEER, CIDRS, "", false, T0, CA_END);
        assertEquals(CA_END, whole.notAfterMillis());
    }

    @Test
    void signingRefusesBadFields() {
        configurationError(() -> NodeCertificate.sign(CA_KEY, ca, "Edge", NODE_PEER, CIDRS, "", false, T0, CA_END),
                "node name 'Edge'");
        configurationError(() -> NodeCertificate.sign(CA_KEY, ca, "edge-1", NODE_PEER, List.of(), "", false, T0,
                CA_END), "0 pod CIDRs");
    }

    @Test
    void certificatesAreEqualByTheirBytes() {
        NodeCertificate a = TrustTestData.node();
        assertEquals(a, NodeCertificate.parse(a.encoded()));
        assertEquals(a.hashCode(), NodeCertificate.parse(a.encoded()).hashCode());
        assertNotEquals(a, TrustTestData.node("edge-1", T0));
        byte[] copy = a.encoded();
        copy[0] = 0;
        assertArrayEquals(TrustTestData.vector("node"), a.encoded(), "encoded() hands out a copy");
    }

    @Test
    void fingerprintsPrintShortAndParseLong() {
        Fingerprint f = ca.fingerprint();
        assertEquals(64, f.hex().length());
        assertEquals(f.hex().substring(0, 16), f.toString());
        assertEquals(f, Fingerprint.fromHex(f.hex()));
        assertEquals(f, Fingerprint.fromHex(f.hex().toUpperCase()));
        assertEquals(f, Fingerprint.fromBytes(f.bytes()));
        assertEquals(f.hashCode(), Fingerprint.fromHex(f.hex()).hashCode());
        byte[] bytes = f.bytes();
        bytes[0] ^= 1;
        assertEquals(f, Fingerprint.fromHex(f.hex()), "bytes() hands out a copy");
        assertFalse(f.equals(Fingerprint.fromBytes(bytes)));
        assertThrows(IllegalArgumentException.class, () -> Fingerprint.fromHex(f.toString()));
        assertThrows(IllegalArgumentException.class, () -> Fingerprint.fromHex("zz" + f.hex().substring(2)));
        assertThrows(IllegalArgumentException.class, () -> Fingerprint.fromBytes(new byte[31]));
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                Fingerprint.of(new byte[0]).hex(), "SHA-256 of nothing");
        assertEquals(HexFormat.of().formatHex(f.bytes()), f.hex());
    }

    private static void configurationError(Executable call, String... parts) {
        ConfigurationException e = assertThrows(ConfigurationException.class, call);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' should mention '" + part + "'");
        }
    }
}
