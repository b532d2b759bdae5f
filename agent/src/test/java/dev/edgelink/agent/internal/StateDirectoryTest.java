package dev.edgelink.agent.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.agent.config.AgentConfig;
import dev.edgelink.agent.config.ConfigException;
import dev.edgelink.agent.config.ConfigLoader;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The node key in the state directory: made 0600, and refused at start when other users may read it. */
class StateDirectoryTest {

    @TempDir
    Path dir;

    private AgentConfig config() {
        return new ConfigLoader(() -> "edge-1").parse("podCidr: 10.244.1.0/24\ntrust: {insecure: true}\nstateDir: "
                + dir.resolve("state") + "\n");
    }

    @Test
    void theNodeKeyIsCreatedOwnerOnlyAndKept() throws IOException {
        AgentConfig config = config();
        PrivKey created = StateDirectory.open(config).nodeKey();

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(config.keyFile())));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(config.stateDir())));
        assertEquals(created, StateDirectory.open(config).nodeKey());
    }

    @ParameterizedTest
    @CsvSource({"rw-r--r--, 0644", "rw-r-----, 0640", "rw-rw----, 0660"})
    void aNodeKeyOtherUsersMayReadIsRefusedWithItsModeAndTheFix(String mode, String octal) throws IOException {
        AgentConfig config = config();
        StateDirectory state = StateDirectory.open(config);
        Keys.store(Keys.generateEd25519(), config.keyFile());
        Files.setPosixFilePermissions(config.keyFile(), PosixFilePermissions.fromString(mode));

        ConfigException e = assertThrows(ConfigException.class, state::nodeKey);
        assertEquals("stateDir", e.key());
        assertTrue(e.getMessage().contains(config.keyFile() + " has mode " + octal), e.getMessage());
        assertTrue(e.getMessage().contains("chmod 600 " + config.keyFile()), e.getMessage());
    }
}
