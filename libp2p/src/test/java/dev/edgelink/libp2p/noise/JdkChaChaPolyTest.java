package dev.edgelink.libp2p.noise;

/** The JDK's ChaCha20-Poly1305 against the {@link ChaChaPoly} contract. */
class JdkChaChaPolyTest extends ChaChaPolyContractTest {

    @Override
    ChaChaPoly create(byte[] key) {
        return new JdkChaChaPoly(key);
    }
}
