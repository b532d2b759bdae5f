package dev.edgelink.libp2p.noise;

import dev.edgelink.libp2p.crypto.KeyType;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.crypto.PubKey;
import java.security.SecureRandom;

/** Shared helpers for the Noise tests. */
final class NoiseTestSupport {

    private static final SecureRandom RANDOM = new SecureRandom();

    private NoiseTestSupport() {
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
