package dev.edgelink.libp2p.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.crypto.KeyType;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.crypto.PubKey;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvFileSource;
import org.junit.jupiter.params.provider.ValueSource;

class PeerIdTest {

    private static final HexFormat HEX = HexFormat.of();

    @ParameterizedTest(name = "{0}")
    @CsvFileSource(resources = "peer-id-strings.csv", numLinesToSkip = 1)
    void parsesLegacyAndCidTextForms(String text, String multihash, String base58, String cid) {
        PeerId id = PeerId.fromString(text);
        assertEquals(multihash, HEX.formatHex(id.toBytes()));
        assertEquals(base58, id.toBase58());
        assertEquals(base58, id.toString());
        assertEquals(cid, id.toCid());
        assertEquals(id, PeerId.fromBytes(HEX.parseHex(multihash)));
        assertEquals(id, PeerId.fromString(id.toCid()));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvFileSource(resources = "peer-id-invalid-strings.csv", numLinesToSkip = 1)
    void rejectsTextThatIsNoPeerIdNamingTheProblem(String text, String reason) {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> PeerId.fromString(text));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
    }

    @Test
    void identityPeerIdCarriesItsPublicKey() {
        PrivKey key = Keys.generateEd25519();
        PeerId id = PeerId.fromPublicKey(key.publicKey());
        assertTrue(id.toBase58().startsWith("12D3KooW"), id.toBase58());
        assertEquals(key.publicKey(), id.publicKey().orElseThrow());
        assertEquals(key.publicKey(), PeerId.fromBytes(id.toBytes()).publicKey().orElseThrow());
        assertTrue(id.matches(key.publicKey()));
        assertFalse(id.matches(Keys.generateEd25519().publicKey()));
    }

    @Test
    void hashedPeerIdHasNoInlineKey() {
        assertTrue(PeerId.fromString("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N").publicKey().isEmpty());
    }

    @Test
    void marshalledKeysOver42BytesAreHashed() {
        PubKey large = new FixedKey(new byte[43]);
        PeerId id = PeerId.fromPublicKey(large);
        assertEquals("1220", HEX.formatHex(id.toBytes(), 0, 2));
        assertTrue(id.matches(large));
        assertTrue(PeerId.fromPublicKey(new FixedKey(new byte[42])).toBase58().startsWith("1"));
    }

    @Test
    void inlineKeyLimitIsEnforcedOnDecode() {
        byte[] bytes = new byte[2 + 43];
        bytes[1] = 43;
        assertThrows(LimitExceededException.class, () -> PeerId.fromBytes(bytes));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1210" + "00000000000000000000000000000000", "0003010203", "d50110"})
    void rejectsBinaryThatIsNoPeerId(String hex) {
        assertThrows(ProtocolViolationException.class, () -> PeerId.fromBytes(HEX.parseHex(hex)));
    }

    @Test
    void equalityHashAndOrderFollowTheBytes() {
        PeerId a = PeerId.fromString("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N");
        PeerId b = PeerId.fromString("bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe");
        PeerId c = PeerId.fromString("12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA");
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, c);
        // identity (0x00...) sorts before sha2-256 (0x12...): unsigned byte order.
        assertEquals(List.of(c, a), List.copyOf(new TreeSet<>(List.of(a, c))));
    }

    @Test
    void toBytesReturnsACopy() {
        PeerId id = PeerId.fromString("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N");
        byte[] bytes = id.toBytes();
        bytes[5] ^= 1;
        assertArrayEquals(HEX.parseHex("12209dff3b17d74cf4d38a50d8b6383e92d181a10395a5e73a726dcccbd21bf6f0b9"),
                id.toBytes());
    }

    /** A stand-in key of a chosen marshalled size, to test the 42-byte boundary exactly. */
    private record FixedKey(byte[] marshalled) implements PubKey {
        @Override
        public KeyType type() {
            return KeyType.RSA;
        }

        @Override
        public byte[] raw() {
            return marshalled.clone();
        }

        @Override
        public boolean verify(byte[] data, byte[] signature) {
            return false;
        }

        @Override
        public byte[] marshal() {
            return marshalled.clone();
        }
    }
}
