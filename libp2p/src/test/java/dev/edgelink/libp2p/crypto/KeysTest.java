package dev.edgelink.libp2p.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.peer.PeerId;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvFileSource;
import org.junit.jupiter.params.provider.CsvSource;

class KeysTest {

    private static final HexFormat HEX = HexFormat.of();

    @ParameterizedTest(name = "{0}")
    @CsvFileSource(resources = "spec-keys.csv", numLinesToSkip = 1, maxCharsPerColumn = 16384)
    void specVectorsDecodeReencodeAndYieldTheirPeerId(KeyType type, String privateHex, String publicHex,
            String peerId) {
        PubKey publicKey = Keys.unmarshalPublicKey(HEX.parseHex(publicHex));
        assertEquals(type, publicKey.type());
        assertEquals(publicHex, HEX.formatHex(publicKey.marshal()));
        assertEquals(peerId, PeerId.fromPublicKey(publicKey).toBase58());
        if (!privateHex.isEmpty()) {
            PrivKey privateKey = Keys.unmarshalPrivateKey(HEX.parseHex(privateHex));
            assertEquals(type, privateKey.type());
            assertEquals(publicKey, privateKey.publicKey());
            assertEquals(privateHex.toLowerCase(), HEX.formatHex(privateKey.marshal()));
            byte[] data = "spec vector".getBytes(StandardCharsets.US_ASCII);
            assertTrue(publicKey.verify(data, privateKey.sign(data)));
        }
    }

    @Test
    void generatedKeyRoundTripsThroughBothEnvelopes() {
        PrivKey key = Keys.generateEd25519();
        byte[] marshalled = key.marshal();
        assertEquals(68, marshalled.length);
        assertEquals("08011240", HEX.formatHex(marshalled, 0, 4));
        assertEquals(key, Keys.unmarshalPrivateKey(marshalled));
        assertEquals(key.publicKey(), Keys.unmarshalPublicKey(key.publicKey().marshal()));
        assertEquals(36, key.publicKey().marshal().length);
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource({
        "'', lacks its required",
        "0801, lacks its required",
        "1220" + "0000000000000000000000000000000000000000000000000000000000000000, lacks its required",
        "0807122000, malformed",
        "08071220" + "0000000000000000000000000000000000000000000000000000000000000000, unsupported key type 7",
        "08011220" + "0000000000000000000000000000000000000000000000000000000000000000" + "1801, unknown fields",
        "0801121f" + "00000000000000000000000000000000000000000000000000000000000000, must be 32 bytes",
        "ff, malformed",
    })
    void rejectsBadPublicKeyBytesSayingWhy(String hex, String reason) {
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class,
                () -> Keys.unmarshalPublicKey(HEX.parseHex(hex)));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void marshalledKeySizeIsLimited() {
        byte[] huge = new byte[KeyProto.MAX_MARSHALLED_KEY_BYTES + 1];
        assertThrows(LimitExceededException.class, () -> Keys.unmarshalPublicKey(huge));
        assertThrows(LimitExceededException.class, () -> Keys.unmarshalPrivateKey(huge));
    }

    @Test
    void publicKeyMarshalIsTypeThenData() {
        PubKey key = Ed25519PrivateKey.fromSeed(new byte[32]).publicKey();
        byte[] expected = new byte[36];
        System.arraycopy(HEX.parseHex("08011220"), 0, expected, 0, 4);
        System.arraycopy(key.raw(), 0, expected, 4, 32);
        assertArrayEquals(expected, key.marshal());
    }
}
