package dev.edgelink.libp2p.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvFileSource;
import org.junit.jupiter.params.provider.EnumSource;

/** Secp256k1, ECDSA and RSA: the key types a remote may present. */
class KeyTypesTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final Map<KeyType, String[]> SPEC = specKeys();

    @ParameterizedTest(name = "{0} signature from {3}")
    @CsvFileSource(resources = "spec-key-signatures.csv", numLinesToSkip = 1)
    void verifiesSignaturesMadeByOtherImplementations(KeyType type, String message, String signature, String source,
            boolean deterministic) {
        PubKey publicKey = Keys.unmarshalPublicKey(HEX.parseHex(SPEC.get(type)[1]));
        byte[] data = message.getBytes(StandardCharsets.US_ASCII);
        assertTrue(publicKey.verify(data, HEX.parseHex(signature)), source);
        assertFalse(publicKey.verify("edgelink signature vectoR".getBytes(StandardCharsets.US_ASCII),
                HEX.parseHex(signature)));
        if (deterministic) {
            PrivKey privateKey = Keys.unmarshalPrivateKey(HEX.parseHex(SPEC.get(type)[0]));
            assertEquals(signature, HEX.formatHex(privateKey.sign(data)), "same signature as " + source);
        }
    }

    @ParameterizedTest
    @EnumSource(value = KeyType.class, names = {"SECP256K1", "ECDSA", "RSA"})
    void signAndVerifyRoundTrip(KeyType type) {
        PrivKey key = Keys.unmarshalPrivateKey(HEX.parseHex(SPEC.get(type)[0]));
        byte[] data = "round trip".getBytes(StandardCharsets.US_ASCII);
        byte[] signature = key.sign(data);
        assertTrue(key.publicKey().verify(data, signature));
        signature[signature.length - 1] ^= 1;
        assertFalse(key.publicKey().verify(data, signature));
        assertFalse(key.publicKey().verify(data, new byte[0]));
        assertFalse(key.publicKey().verify(data, new byte[] {0x30, 0x00}));
    }

    @Test
    void secp256k1ReadsUncompressedKeysAndWritesThemCompressed() {
        PubKey compressed = Keys.unmarshalPublicKey(HEX.parseHex(SPEC.get(KeyType.SECP256K1)[1]));
        byte[] uncompressedPoint = CustomNamedCurves.getByName("secp256k1").getCurve()
                .decodePoint(compressed.raw()).getEncoded(false);
        PubKey uncompressed = Secp256k1Keys.publicFromRaw(uncompressedPoint);
        assertEquals(compressed, uncompressed);
        assertArrayEquals(compressed.marshal(), uncompressed.marshal());
    }

    @Test
    void secp256k1RejectsPointsOffTheCurveAndBadLengths() {
        byte[] offCurve = new byte[33];
        offCurve[0] = 0x02;
        Arrays.fill(offCurve, 1, 33, (byte) 0xff);
        assertThrows(ProtocolViolationException.class, () -> Secp256k1Keys.publicFromRaw(offCurve));
        assertThrows(ProtocolViolationException.class, () -> Secp256k1Keys.publicFromRaw(new byte[32]));
        assertThrows(ProtocolViolationException.class, () -> Secp256k1Keys.privateFromData(new byte[32]));
        assertThrows(ProtocolViolationException.class, () -> Secp256k1Keys.privateFromData(new byte[31]));
    }

    @Test
    void ecdsaSignaturesWithHighSAreAcceptedButNotProduced() {
        PrivKey key = Keys.unmarshalPrivateKey(HEX.parseHex(SPEC.get(KeyType.SECP256K1)[0]));
        byte[] data = "malleable".getBytes(StandardCharsets.US_ASCII);
        BigInteger[] rs = decodeSignature(key.sign(data));
        BigInteger n = CustomNamedCurves.getByName("secp256k1").getN();
        assertTrue(rs[1].compareTo(n.shiftRight(1)) <= 0, "we sign with low S");
        byte[] highS = encodeSignature(rs[0], n.subtract(rs[1]));
        assertTrue(key.publicKey().verify(data, highS));
        assertFalse(key.publicKey().verify(data, encodeSignature(BigInteger.ZERO, rs[1])));
        assertFalse(key.publicKey().verify(data, encodeSignature(rs[0], n.add(rs[1]))));
    }

    @Test
    void ecdsaSignatureInNonCanonicalDerIsRejected() {
        PrivKey key = Keys.unmarshalPrivateKey(HEX.parseHex(SPEC.get(KeyType.ECDSA)[0]));
        byte[] data = "strict".getBytes(StandardCharsets.US_ASCII);
        byte[] der = key.sign(data);
        // The same sequence with a long-form length (0x81 len): valid BER, not DER.
        byte[] ber = new byte[der.length + 1];
        ber[0] = 0x30;
        ber[1] = (byte) 0x81;
        System.arraycopy(der, 1, ber, 2, der.length - 1);
        assertTrue(key.publicKey().verify(data, der));
        assertFalse(key.publicKey().verify(data, ber));
    }

    @Test
    void ecdsaKeyOnAnUnsupportedCurveIsRejected() {
        byte[] point = CustomNamedCurves.getByName("secp256k1").getG().getEncoded(false);
        byte[] spki = Der.encode(new SubjectPublicKeyInfo(
                new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, SECObjectIdentifiers.secp256k1), point));
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class,
                () -> EcdsaKeys.publicFromRaw(spki));
        assertTrue(e.getMessage().contains("P-256"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}: {2}")
    @CsvFileSource(resources = "rejected-public-keys.csv", numLinesToSkip = 1)
    void refusesBadKeysFromRemotesSayingWhy(KeyType type, String data, String reason) {
        byte[] marshalled = KeyProto.marshalPublic(type, HEX.parseHex(data));
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class,
                () -> Keys.unmarshalPublicKey(marshalled));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void rsaKeysBelow2048BitsAreRefused() {
        assertThrows(ProtocolViolationException.class, () -> RsaKeys.publicFromRaw(rsaSpki(RsaKeys.MIN_BITS - 1)));
    }

    @Test
    void rsaKeySizeLimitIsEnforcedAtTheBoundary() {
        LimitExceededException e = assertThrows(LimitExceededException.class,
                () -> RsaKeys.publicFromRaw(rsaSpki(RsaKeys.MAX_BITS + 1)));
        assertTrue(e.getMessage().contains("RSA key bits exceeded: 8193 > 8192"), e.getMessage());
        // Exactly at the bounds the size check passes (a real key of those sizes is too slow to make in a test).
        RsaKeys.requireSize(BigInteger.ONE.shiftLeft(RsaKeys.MAX_BITS - 1));
        RsaKeys.requireSize(BigInteger.ONE.shiftLeft(RsaKeys.MIN_BITS - 1));
    }

    @Test
    void rsaPublicKeyWithAnotherAlgorithmIsRejected() {
        byte[] ecdsaSpki = Keys.unmarshalPublicKey(HEX.parseHex(SPEC.get(KeyType.ECDSA)[1])).raw();
        assertThrows(ProtocolViolationException.class, () -> RsaKeys.publicFromRaw(ecdsaSpki));
        byte[] rsaSpki = Keys.unmarshalPublicKey(HEX.parseHex(SPEC.get(KeyType.RSA)[1])).raw();
        assertThrows(ProtocolViolationException.class, () -> EcdsaKeys.publicFromRaw(rsaSpki));
    }

    @Test
    void publicKeyInNonCanonicalDerIsRejected() {
        byte[] spki = Keys.unmarshalPublicKey(HEX.parseHex(SPEC.get(KeyType.ECDSA)[1])).raw();
        byte[] withTrailingByte = Arrays.copyOf(spki, spki.length + 1);
        assertThrows(ProtocolViolationException.class, () -> EcdsaKeys.publicFromRaw(withTrailingByte));
        byte[] garbage = {0x30, 0x03, 0x02, 0x01};
        assertThrows(ProtocolViolationException.class, () -> RsaKeys.publicFromRaw(garbage));
    }

    /** An RSA SubjectPublicKeyInfo with an odd modulus of exactly {@code bits} bits and exponent 65537. */
    private static byte[] rsaSpki(int bits) {
        BigInteger modulus = BigInteger.ONE.shiftLeft(bits - 1).add(BigInteger.valueOf(0x10001L * 2 + 1));
        byte[] key = Der.encode(new RSAPublicKey(modulus, BigInteger.valueOf(65537)));
        return Der.encode(new SubjectPublicKeyInfo(
                new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE), key));
    }

    private static BigInteger[] decodeSignature(byte[] der) {
        ASN1Sequence sequence = (ASN1Sequence) Der.parse(der, "test signature");
        return new BigInteger[] {
            ((ASN1Integer) sequence.getObjectAt(0)).getValue(), ((ASN1Integer) sequence.getObjectAt(1)).getValue(),
        };
    }

    private static byte[] encodeSignature(BigInteger r, BigInteger s) {
        return Der.encode(new DERSequence(new ASN1Integer[] {new ASN1Integer(r), new ASN1Integer(s)}));
    }

    private static Map<KeyType, String[]> specKeys() {
        Map<KeyType, String[]> keys = new HashMap<>();
        try (InputStream in = KeyTypesTest.class.getResourceAsStream("spec-keys.csv")) {
            List<String> lines = new String(in.readAllBytes(), StandardCharsets.US_ASCII).lines()
                    .filter(line -> !line.startsWith("#") && !line.startsWith("type,")).toList();
            for (String line : lines) {
                String[] fields = line.split(",");
                keys.put(KeyType.valueOf(fields[0]), new String[] {fields[1].toLowerCase(), fields[2]});
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return keys;
    }
}
