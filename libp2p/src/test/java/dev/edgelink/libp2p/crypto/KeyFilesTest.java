package dev.edgelink.libp2p.crypto;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.ConfigurationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class KeyFilesTest {

    @TempDir
    Path dir;

    private Path file(String mode) throws IOException {
        Path f = dir.resolve("secret.key");
        Files.writeString(f, "secret");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
        return f;
    }

    @ParameterizedTest
    @CsvSource({"rw-r--r--, 0644", "rw-r-----, 0640", "rw----r--, 0604", "rw--w----, 0620", "rwx-----x, 0701",
        "r--r--r--, 0444"})
    void aFileOthersHaveAnyPermissionOnIsRefusedWithItsModeAndTheFix(String mode, String octal) throws IOException {
        Path f = file(mode);
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> KeyFiles.requirePrivate(f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("mode " + octal + " (" + mode + ")"), e.getMessage());
        assertTrue(e.getMessage().contains("chmod 600 " + f), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"rw-------", "r--------", "---------"})
    void anOwnerOnlyFileIsAccepted(String mode) throws IOException {
        Path f = file(mode);
        assertDoesNotThrow(() -> KeyFiles.requirePrivate(f));
    }

    @Test
    void aMissingFileIsLeftToWhoReadsIt() {
        assertDoesNotThrow(() -> KeyFiles.requirePrivate(dir.resolve("missing.key")));
    }
}
