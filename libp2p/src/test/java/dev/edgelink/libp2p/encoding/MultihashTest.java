package dev.edgelink.libp2p.encoding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.ProtocolViolationException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvFileSource;

class MultihashTest {

    private static final HexFormat HEX = HexFormat.of();

    @ParameterizedTest(name = "{0}")
    @CsvFileSource(resources = "multihash-valid.csv", numLinesToSkip = 1)
    void decodesAndReencodesVectors(String hex, int code, String digest) {
        Multihash multihash = Multihash.decode(HEX.parseHex(hex));
        assertEquals(code, multihash.code());
        assertArrayEquals(HEX.parseHex(digest), multihash.digest());
        assertEquals(hex, HEX.formatHex(multihash.encode()));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvFileSource(resources = "multihash-invalid.csv", numLinesToSkip = 1)
    void rejectsMalformedMultihashes(String hex, String reason) {
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class,
                () -> Multihash.decode(HEX.parseHex(hex)));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void sha256HashesAndValidatesData() {
        byte[] data = "hello world".getBytes(StandardCharsets.US_ASCII);
        Multihash multihash = Multihash.sha256(data);
        assertEquals("1220b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
                HEX.formatHex(multihash.encode()));
        assertTrue(multihash.isDigestOf(data));
        assertFalse(multihash.isDigestOf("hello World".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void identityWrapsDataVerbatim() {
        byte[] data = {1, 2, 3};
        Multihash multihash = Multihash.identity(data);
        assertEquals("0003010203", HEX.formatHex(multihash.encode()));
        assertTrue(multihash.isDigestOf(data));
        assertEquals(multihash, Multihash.decode(multihash.encode()));
    }

    @Test
    void identityWithLengthAboveOneByteUsesAVarintLength() {
        byte[] data = new byte[200];
        byte[] encoded = Multihash.identity(data).encode();
        assertEquals("00c801", HEX.formatHex(encoded, 0, 3));
        assertEquals(203, encoded.length);
    }
}
