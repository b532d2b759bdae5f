package dev.edgelink.libp2p.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.InternalException;
import dev.edgelink.libp2p.ProtocolViolationException;
import io.netty.buffer.ByteBuf;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ChaChaPolySelectorTest {

    private static final byte[] KEY = new byte[32];
    private static final byte[] RFC_KEY = HexFormat.of().parseHex(
        "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    private String previous;

    @BeforeEach
    void saveProperty() {
        previous = System.getProperty(ChaChaPolySelector.PROPERTY);
    }

    @AfterEach
    void restoreProperty() {
        NoiseTestSupport.restoreCipher(previous);
    }

    @Test
    void propertyJdkForcesTheJdkCipher() {
        NoiseTestSupport.forceCipher("jdk");
        assertEquals("jdk", implementationChosen());
    }

    @Test
    void propertyOpensslForcesLibcrypto() {
        NoiseTestSupport.forceCipher("openssl");
        assertEquals("openssl", implementationChosen());
    }

    @Test
    void autoIsTheDefaultAndPicksLibcryptoWhenItPassesTheSelfTest() {
        System.clearProperty(ChaChaPolySelector.PROPERTY);
        assertEquals("openssl", implementationChosen());
        NoiseTestSupport.forceCipher(" AUTO ");
        assertEquals("openssl", implementationChosen());
    }

    @Test
    void unknownValueIsAConfigurationErrorThatNamesTheChoices() {
        NoiseTestSupport.forceCipher("bouncycastle");
        ConfigurationException e = assertThrows(ConfigurationException.class, this::implementationChosen);
        assertTrue(e.getMessage().contains("auto, jdk or openssl"), e.getMessage());
    }

    @Test
    void transportCipherStatesAreClosedByTheirOwner() {
        NoiseTestSupport.forceCipher("openssl");
        CipherState cs = CipherState.forTransport(KEY);
        assertTrue(cs.prefersDirectBuffers());
        cs.close();
        assertThrows(InternalException.class, () -> cs.encrypt(new byte[1], 0, 1, new byte[17], 0));
    }

    @Test
    void selfTestRejectsAnImplementationWithWrongOutput() {
        try (ChaChaPoly broken = new Wrapper(new JdkChaChaPoly(new byte[32]))) {
            assertNotNull(ChaChaPolySelector.selfTest(broken));
        }
    }

    @Test
    void selfTestRejectsAnImplementationThatAcceptsTamperedInput() {
        try (ChaChaPoly lax = new LaxDecrypt(new JdkChaChaPoly(RFC_KEY))) {
            String failure = ChaChaPolySelector.selfTest(lax);
            assertNotNull(failure);
            assertTrue(failure.contains("tampered"), failure);
        }
    }

    private String implementationChosen() {
        try (CipherState cs = CipherState.forTransport(KEY)) {
            return cs.implementation();
        }
    }

    /** Delegates; used as is it runs under the wrong key, so its output is wrong. */
    private static class Wrapper implements ChaChaPoly {
        final ChaChaPoly inner;

        Wrapper(ChaChaPoly inner) {
            this.inner = inner;
        }

        @Override
        public int encrypt(byte[] nonce, byte[] ad, ByteBuf in, int inIndex, int len, ByteBuf out, int outIndex) {
            return inner.encrypt(nonce, ad, in, inIndex, len, out, outIndex);
        }

        @Override
        public int decrypt(byte[] nonce, byte[] ad, ByteBuf in, int inIndex, int len, ByteBuf out, int outIndex) {
            return inner.decrypt(nonce, ad, in, inIndex, len, out, outIndex);
        }

        @Override
        public boolean prefersDirectBuffers() {
            return false;
        }

        @Override
        public String name() {
            return "wrapper";
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    /** An AEAD that never reports an authentication failure. */
    private static final class LaxDecrypt extends Wrapper {
        LaxDecrypt(ChaChaPoly inner) {
            super(inner);
        }

        @Override
        public int decrypt(byte[] nonce, byte[] ad, ByteBuf in, int inIndex, int len, ByteBuf out, int outIndex) {
            try {
                return inner.decrypt(nonce, ad, in, inIndex, len, out, outIndex);
            } catch (ProtocolViolationException e) {
                return len - TAG_LENGTH;
            }
        }
    }
}
