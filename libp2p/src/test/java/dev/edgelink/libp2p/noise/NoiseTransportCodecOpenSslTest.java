package dev.edgelink.libp2p.noise;

import org.junit.jupiter.api.BeforeAll;

/** {@link NoiseTransportCodecTest} with transport encryption on OpenSSL's libcrypto. */
class NoiseTransportCodecOpenSslTest extends NoiseTransportCodecTest {

    @BeforeAll
    static void useOpenSslCipher() {
        NoiseTestSupport.forceCipher("openssl");
    }
}
