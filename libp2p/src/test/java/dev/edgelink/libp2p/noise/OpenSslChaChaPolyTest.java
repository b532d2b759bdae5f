package dev.edgelink.libp2p.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.InternalException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * libcrypto's ChaCha20-Poly1305 against the {@link ChaChaPoly} contract. libcrypto is part of the supported platform
 * (Debian 12 always installs libssl3), so a missing library fails here rather than skipping.
 */
class OpenSslChaChaPolyTest extends ChaChaPolyContractTest {

    private static OpenSslChaChaPoly.Library library;

    @BeforeAll
    static void loadLibcrypto() {
        library = OpenSslChaChaPoly.load();
    }

    @Override
    ChaChaPoly create(byte[] key) {
        return new OpenSslChaChaPoly(library.crypto(), key);
    }

    @Test
    void reportsWhichLibraryAndVersionItLoaded() {
        assertTrue(OpenSslChaChaPoly.LIBRARY_NAMES.contains(library.soname()), library.soname());
        assertTrue(library.version().startsWith("OpenSSL "), library.version());
    }

    @Test
    void keyOfWrongLengthIsABug() {
        assertThrows(InternalException.class, () -> new OpenSslChaChaPoly(library.crypto(), new byte[16]));
    }

    @Test
    void manyContextsCanBeOpenedAndClosed() {
        // Each instance holds a context and a 64 KiB block; closing frees them, so this does not grow the heap or
        // the process. A leak would show as RSS growth in a longer run; here it checks close() is safe in bulk.
        for (int i = 0; i < 10_000; i++) {
            try (ChaChaPoly aead = create(new byte[32])) {
                assertEquals("openssl", aead.name());
            }
        }
    }
}
