package dev.edgelink.libp2p.noise;

import dev.edgelink.libp2p.crypto.KeyType;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.crypto.PubKey;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.security.SecureRandom;

/** Shared helpers for the Noise tests. */
final class NoiseTestSupport {

    private static final SecureRandom RANDOM = new SecureRandom();

    static {
        // The build asks for paranoid through a system property; set it here too so a run from an IDE checks leaks.
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    private NoiseTestSupport() {
    }

    /**
     * Collects garbage and allocates through the leak detector, so that a buffer leaked by the test just run is
     * reported ("LEAK:" on stderr) while that test's output is still attributable to it. Surefire runs with
     * {@code io.netty.leakDetection.level=paranoid} (also set below), so every pooled buffer is tracked.
     */
    static void provokeLeakReports() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            System.runFinalization();
            ByteBuf probe = ByteBufAllocator.DEFAULT.buffer(1);
            probe.release();
            ByteBuf heapProbe = ByteBufAllocator.DEFAULT.heapBuffer(1);
            heapProbe.release();
        }
    }

    /**
     * Forces the transport cipher ({@code jdk} or {@code openssl}) through {@link ChaChaPolySelector#PROPERTY}, so
     * that one test class runs on one implementation.
     *
     * @return the property's previous value, for {@link #restoreCipher(String)}
     */
    static String forceCipher(String backend) {
        return System.setProperty(ChaChaPolySelector.PROPERTY, backend);
    }

    static void restoreCipher(String previous) {
        if (previous == null) {
            System.clearProperty(ChaChaPolySelector.PROPERTY);
        } else {
            System.setProperty(ChaChaPolySelector.PROPERTY, previous);
        }
    }

    /**
     * Runs a bare XX handshake (empty payloads) and returns matching transport states:
     * {initiatorSend, initiatorReceive, responderSend, responderReceive}.
     */
    static CipherState[] transportStates() {
        HandshakeState init = new HandshakeState(true, new byte[0], NoiseKeyPair.generate(RANDOM),
            () -> NoiseKeyPair.generate(RANDOM));
        HandshakeState resp = new HandshakeState(false, new byte[0], NoiseKeyPair.generate(RANDOM),
            () -> NoiseKeyPair.generate(RANDOM));
        resp.readMessage(init.writeMessage(new byte[0]));
        init.readMessage(resp.writeMessage(new byte[0]));
        resp.readMessage(init.writeMessage(new byte[0]));
        CipherState[] i = init.split();
        CipherState[] r = resp.split();
        return new CipherState[] {i[0], i[1], r[0], r[1]};
    }

    /** An identity that signs with one key but presents another's public key: its payload signature is invalid. */
    static PrivKey lyingIdentity(PrivKey signer, PubKey presented) {
        return new PrivKey() {
            @Override
            public KeyType type() {
                return signer.type();
            }

            @Override
            public PubKey publicKey() {
                return presented;
            }

            @Override
            public byte[] sign(byte[] data) {
                return signer.sign(data);
            }

            @Override
            public byte[] marshal() {
                return signer.marshal();
            }
        };
    }
}
