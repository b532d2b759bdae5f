package dev.edgelink.libp2p.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.ProtocolViolationException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvFileSource;

class Ed25519Test {

    private static final HexFormat HEX = HexFormat.of();

    @ParameterizedTest(name = "RFC 8032 message {2}")
    @CsvFileSource(resources = "ed25519-rfc8032.csv", numLinesToSkip = 1)
    void signsAndVerifiesRfc8032Vectors(String seed, String publicKey, String message, String signature) {
        PrivKey key = Ed25519PrivateKey.fromSeed(HEX.parseHex(seed));
        byte[] data = HEX.parseHex(message);
        assertEquals(publicKey, HEX.formatHex(key.publicKey().raw()));
        assertEquals(signature, HEX.formatHex(key.sign(data)));
        PubKey remote = Ed25519PublicKey.fromRaw(HEX.parseHex(publicKey));
        assertTrue(remote.verify(data, HEX.parseHex(signature)));
    }

    @Test
    void rejectsAlteredMessageOrSignature() {
        PrivKey key = Keys.generateEd25519();
        byte[] data = "payload".getBytes(StandardCharsets.US_ASCII);
        byte[] signature = key.sign(data);
        assertTrue(key.publicKey().verify(data, signature));
        assertFalse(key.publicKey().verify("payloaD".getBytes(StandardCharsets.US_ASCII), signature));
        signature[10] ^= 1;
        assertFalse(key.publicKey().verify(data, signature));
        assertFalse(key.publicKey().verify(data, Arrays.copyOf(signature, 63)));
        assertFalse(key.publicKey().verify(data, new byte[0]));
    }

    @Test
    void publicKeyMustBe32Bytes() {
        assertThrows(ProtocolViolationException.class, () -> Ed25519PublicKey.fromRaw(new byte[31]));
        assertThrows(ProtocolViolationException.class, () -> Ed25519PublicKey.fromRaw(new byte[33]));
    }

    @Test
    void readsTheLegacy96ByteFormOnlyWhenBothPublicCopiesAgree() {
        PrivKey key = Keys.generateEd25519();
        byte[] data = KeyProto.unmarshalPrivate(key.marshal()).data();
        byte[] legacy = Arrays.copyOf(data, 96);
        System.arraycopy(data, 32, legacy, 64, 32);
        assertEquals(key, Ed25519PrivateKey.fromData(legacy));
        legacy[95] ^= 1;
        assertThrows(ProtocolViolationException.class, () -> Ed25519PrivateKey.fromData(legacy));
    }

    @Test
    void privateKeyWhosePublicHalfIsNotTheSeedsIsRejected() {
        byte[] data = KeyProto.unmarshalPrivate(Keys.generateEd25519().marshal()).data();
        data[40] ^= 1;
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class,
                () -> Ed25519PrivateKey.fromData(data));
        assertTrue(e.getMessage().contains("inconsistent"), e.getMessage());
    }

    @Test
    void privateKeyDataOfOtherLengthsIsRejected() {
        assertThrows(ProtocolViolationException.class, () -> Ed25519PrivateKey.fromData(new byte[32]));
        assertThrows(ProtocolViolationException.class, () -> Ed25519PrivateKey.fromData(new byte[65]));
    }

    @Test
    void toStringNeverRevealsThePrivateKey() {
        PrivKey key = Ed25519PrivateKey.fromSeed(new byte[32]);
        assertFalse(key.toString().contains(HEX.formatHex(new byte[32])), key.toString());
        assertArrayEquals(key.publicKey().raw(), Ed25519PrivateKey.fromSeed(new byte[32]).publicKey().raw());
    }
}
