package dev.edgelink.libp2p.noise;

import org.junit.jupiter.api.BeforeAll;

/** {@link NoiseHandshakeTest} with transport encryption on OpenSSL's libcrypto. */
class NoiseHandshakeOpenSslTest extends NoiseHandshakeTest {

    @BeforeAll
    static void useOpenSslCipher() {
        NoiseTestSupport.forceCipher("openssl");
    }
}
