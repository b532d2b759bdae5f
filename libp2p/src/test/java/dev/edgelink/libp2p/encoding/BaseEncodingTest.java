package dev.edgelink.libp2p.encoding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.ConfigurationException;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvFileSource;
import org.junit.jupiter.params.provider.ValueSource;

class BaseEncodingTest {

    private static final HexFormat HEX = HexFormat.of();

    @ParameterizedTest(name = "{0} <-> {1}")
    @CsvFileSource(resources = "base58.csv", numLinesToSkip = 1)
    void base58MatchesVectors(String hex, String text) {
        assertEquals(text, Base58.encode(HEX.parseHex(hex)));
        assertArrayEquals(HEX.parseHex(hex), Base58.decode(text));
    }

    @ParameterizedTest(name = "{0} <-> {1}")
    @CsvFileSource(resources = "base32.csv", numLinesToSkip = 1)
    void base32MatchesRfc4648Vectors(String hex, String text) {
        assertEquals(text, Base32.encode(HEX.parseHex(hex)));
        assertArrayEquals(HEX.parseHex(hex), Base32.decode(text));
    }

    @Test
    void randomBytesRoundTrip() {
        Random random = new Random(42);
        for (int length = 0; length < 80; length++) {
            byte[] data = new byte[length];
            random.nextBytes(data);
            if (length % 3 == 0 && length > 0) {
                data[0] = 0;
            }
            assertArrayEquals(data, Base58.decode(Base58.encode(data)));
            assertArrayEquals(data, Base32.decode(Base32.encode(data)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "O", "I", "l", "abc+", "2NEpo7TZRRr LZSi2U", "é"})
    void base58RejectsCharactersOutsideTheAlphabet(String text) {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> Base58.decode(text));
        assertTrue(e.getMessage().contains("position"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"MZXQ", "mzxq====", "mzx1", "m", "mzx", "mzxw6y"})
    void base32RejectsUppercasePaddingAndImpossibleLengths(String text) {
        assertThrows(ConfigurationException.class, () -> Base32.decode(text));
    }

    @Test
    void base32RejectsNonZeroSpareBits() {
        // "mz" carries 10 bits for 1 byte; the canonical form of 0x66 is "my", "mz" sets a spare bit.
        assertThrows(ConfigurationException.class, () -> Base32.decode("mz"));
    }
}
