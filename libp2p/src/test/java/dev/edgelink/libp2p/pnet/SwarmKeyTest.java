package dev.edgelink.libp2p.pnet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.ConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvFileSource;

class SwarmKeyTest {

    private static final String KEY_HEX = "d5c29f62566cada940adbf8988a145f03d688c8193e055f426ddc6f000bb2a68";

    @TempDir
    Path dir;

    @Test
    void readsTheSwarmKeyWrittenByJsLibp2p() throws IOException {
        Path file = dir.resolve("swarm.key");
        try (InputStream in = SwarmKeyTest.class.getResourceAsStream("js-swarm.key")) {
            Files.copy(in, file);
        }
        SwarmKey key = SwarmKey.fromFile(file);
        assertArrayEquals(HexFormat.of().parseHex(KEY_HEX), key.key());
    }

    @ParameterizedTest
    @CsvFileSource(resources = "valid-swarm-keys.csv", numLinesToSkip = 1)
    void acceptsEveryEncodingAndLineEnding(String content) {
        assertEquals(SwarmKey.of(HexFormat.of().parseHex(KEY_HEX)), SwarmKey.parse(unescape(content)));
    }

    @Test
    void acceptsTheBinaryEncoding() {
        byte[] header = "/key/swarm/psk/1.0.0/\n/bin/\n".getBytes(StandardCharsets.US_ASCII);
        byte[] content = new byte[header.length + 32];
        System.arraycopy(header, 0, content, 0, header.length);
        System.arraycopy(HexFormat.of().parseHex(KEY_HEX), 0, content, header.length, 32);
        assertArrayEquals(HexFormat.of().parseHex(KEY_HEX), SwarmKey.parse(content).key());
    }

    @ParameterizedTest(name = "{1}")
    @CsvFileSource(resources = "invalid-swarm-keys.csv", numLinesToSkip = 1)
    void rejectsMalformedFilesNamingThePathButNeverTheKey(String content, String reason) throws IOException {
        Path file = Files.write(dir.resolve("swarm.key"), unescape(content));
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> SwarmKey.fromFile(file));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("5c29f62566cada940"), "the key must not appear: " + e.getMessage());
    }

    @Test
    void missingFileIsAnErrorNamingIt() {
        Path file = dir.resolve("absent.key");
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> SwarmKey.fromFile(file));
        assertTrue(e.getMessage().contains("cannot read swarm key file " + file), e.getMessage());
    }

    @Test
    void oversizedFileIsRefusedBeforeReading() throws IOException {
        Path file = Files.write(dir.resolve("big.key"), new byte[SwarmKey.MAX_FILE_BYTES + 1]);
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> SwarmKey.fromFile(file));
        assertTrue(e.getMessage().contains("larger than " + SwarmKey.MAX_FILE_BYTES), e.getMessage());
        Path atLimit = Files.write(dir.resolve("limit.key"), new byte[SwarmKey.MAX_FILE_BYTES]);
        ConfigurationException other = assertThrows(ConfigurationException.class, () -> SwarmKey.fromFile(atLimit));
        assertFalse(other.getMessage().contains("larger than"), other.getMessage());
    }

    @Test
    void fingerprintMatchesKuboAndRevealsNothing() {
        SwarmKey key = SwarmKey.of(HexFormat.of().parseHex(KEY_HEX));
        // SHAKE-128(Salsa20(key, "finprint", 64 zero bytes)) computed separately (Python hashlib + a Salsa20
        // checked against the eSTREAM vectors), the digest kubo prints as "Swarm key fingerprint".
        assertEquals("876f5b3e8d35d40f1e5345af043b173a", key.fingerprint());
        assertEquals("SwarmKey[fingerprint=876f5b3e8d35d40f1e5345af043b173a]", key.toString());
        assertFalse(key.toString().contains(KEY_HEX.substring(0, 8)));
    }

    @Test
    void rawKeyMustBe32Bytes() {
        assertThrows(ConfigurationException.class, () -> SwarmKey.of(new byte[31]));
    }

    private static byte[] unescape(String content) {
        return content.replace("\\n", "\n").replace("\\r", "\r").getBytes(StandardCharsets.US_ASCII);
    }
}
