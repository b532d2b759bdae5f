package dev.edgelink.libp2p.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.peer.PeerId;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyFileTest {

    @TempDir
    Path dir;

    @Test
    void createsKeyWithOwnerOnlyModeInANewDirectoryAndLoadsItBack() throws IOException {
        Path file = dir.resolve("state/identity/node.key");
        PrivKey created = Keys.loadOrCreate(file);
        assertEquals(68, Files.size(file));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
        assertEquals(created, Keys.loadOrCreate(file));
        assertArrayEquals(created.marshal(), Files.readAllBytes(file));
        try (Stream<Path> entries = Files.list(file.getParent())) {
            assertEquals(1, entries.count(), "no temporary file is left behind");
        }
    }

    @Test
    void storeReplacesAtomicallyAndRoundTrips() throws IOException {
        Path file = dir.resolve("node.key");
        PrivKey first = Keys.loadOrCreate(file);
        PrivKey second = Keys.generateEd25519();
        Keys.store(second, file);
        assertNotEquals(first, second);
        assertEquals(second, Keys.loadOrCreate(file));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void readsTheKeyFileWrittenByTheJsInteropPeer() throws IOException {
        Properties expected = jsPeerFacts();
        Path file = copyResource("js-peer.key");
        PrivKey key = Keys.loadOrCreate(file);
        assertEquals(expected.getProperty("peerId"), PeerId.fromPublicKey(key.publicKey()).toBase58());
        // Ed25519 signatures are deterministic: the same key must produce js-libp2p's signature byte for byte.
        byte[] message = expected.getProperty("message").getBytes(StandardCharsets.UTF_8);
        assertEquals(expected.getProperty("signature"), HexFormat.of().formatHex(key.sign(message)));
        assertArrayEquals(Files.readAllBytes(file), key.marshal(), "we write the same bytes js-libp2p wrote");
    }

    @Test
    void readsTheSameKeyFromBase64Text() throws IOException {
        PrivKey binary = Keys.loadOrCreate(copyResource("js-peer.key"));
        assertEquals(binary, Keys.loadOrCreate(copyResource("js-peer.key.b64")));
    }

    @Test
    void corruptFileIsAnErrorNamingThePathAndIsNeverReplaced() throws IOException {
        byte[] valid = Keys.generateEd25519().marshal();
        byte[] mismatched = valid.clone();
        mismatched[mismatched.length - 1] ^= 1;
        byte[][] corrupt = {
            Arrays.copyOf(valid, 30),
            mismatched,
            new byte[0],
            "not a key at all\n".getBytes(StandardCharsets.US_ASCII),
            "CAESQ===garbage".getBytes(StandardCharsets.US_ASCII),
        };
        for (byte[] content : corrupt) {
            Path file = dir.resolve("corrupt.key");
            Files.write(file, content);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> Keys.loadOrCreate(file));
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("not a valid libp2p private key"), e.getMessage());
            assertArrayEquals(content, Files.readAllBytes(file), "the file must be left as it was");
        }
    }

    @Test
    void unreadablePathIsAnErrorNamingThePath() throws IOException {
        Path directory = Files.createDirectory(dir.resolve("node.key"));
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> Keys.loadOrCreate(directory));
        assertTrue(e.getMessage().contains("cannot read key file " + directory), e.getMessage());
    }

    @Test
    void pathUnderAFileIsAnErrorNamingThePath() throws IOException {
        Path blocker = Files.writeString(dir.resolve("not-a-dir"), "x");
        Path file = blocker.resolve("node.key");
        ConfigurationException load = assertThrows(ConfigurationException.class, () -> Keys.loadOrCreate(file));
        assertTrue(load.getMessage().contains(file.toString()), load.getMessage());
        ConfigurationException store = assertThrows(ConfigurationException.class,
                () -> Keys.store(Keys.generateEd25519(), file));
        assertTrue(store.getMessage().contains("cannot write key file " + file), store.getMessage());
    }

    @Test
    void danglingSymlinkIsAnErrorNotANewKey() throws IOException {
        Path link = Files.createSymbolicLink(dir.resolve("node.key"), dir.resolve("missing.key"));
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> Keys.loadOrCreate(link));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("missing.key")));
    }

    @Test
    void concurrentCreatorsEndUpWithTheSameKey() throws Exception {
        Path file = dir.resolve("race/node.key");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<PrivKey>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> Keys.loadOrCreate(file)));
            }
            PrivKey onDisk = Keys.loadOrCreate(file);
            for (Future<PrivKey> result : results) {
                assertEquals(onDisk, result.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void invalidRsaKeyInFileIsAConfigurationErrorNamingTheType() throws IOException {
        Path file = dir.resolve("rsa.key");
        Files.write(file, HexFormat.of().parseHex("08001203010203"));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> Keys.loadOrCreate(file));
        assertTrue(e.getMessage().contains("RSA"), e.getMessage());
    }

    private Path copyResource(String name) throws IOException {
        try (InputStream in = KeyFileTest.class.getResourceAsStream(name)) {
            Path file = dir.resolve(name);
            Files.copy(in, file);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            return file;
        }
    }

    private static Properties jsPeerFacts() throws IOException {
        Properties properties = new Properties();
        try (InputStream in = KeyFileTest.class.getResourceAsStream("js-peer.txt")) {
            properties.load(in);
        }
        return properties;
    }
}
