package dev.edgelink.libp2p.noise;

import org.junit.jupiter.api.BeforeAll;

/** {@link NoiseHandshakeHandlerTest} with transport encryption on OpenSSL's libcrypto. */
class NoiseHandshakeHandlerOpenSslTest extends NoiseHandshakeHandlerTest {

    @BeforeAll
    static void useOpenSslCipher() {
        NoiseTestSupport.forceCipher("openssl");
    }
}
