package dev.edgelink.libp2p.noise;

import org.junit.jupiter.api.BeforeAll;

/** {@link NoiseHandshakeStateVectorTest} with transport encryption on OpenSSL's libcrypto. */
class NoiseHandshakeStateVectorOpenSslTest extends NoiseHandshakeStateVectorTest {

    @BeforeAll
    static void useOpenSslCipher() {
        NoiseTestSupport.forceCipher("openssl");
    }
}
