package dev.edgelink.libp2p.noise;

import dev.edgelink.libp2p.InternalException;
import dev.edgelink.libp2p.ProtocolViolationException;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * The Noise {@code HandshakeState} for the XX pattern, with arbitrary payloads and prologue, nothing of libp2p in it:
 * that is what the Noise test vectors exercise. {@link NoiseHandshake} puts the libp2p payload on top.
 *
 * <pre>
 *  XX:
 *    -&gt; e                  message 1:  e.pub(32) || payload                     (payload in clear: no key yet)
 *    &lt;- e, ee, s, es      message 2:  e.pub(32) || enc(s.pub)(48) || enc(payload)(len+16)
 *    -&gt; s, se              message 3:  enc(s.pub)(48) || enc(payload)(len+16)
 * </pre>
 *
 * <p>Each instance walks {@link Step#MESSAGE_1} to {@link Step#SPLIT} once; calling the wrong method for the current
 * step or role is a bug ({@link InternalException}), bad bytes from the remote are a
 * {@link ProtocolViolationException}. After a failure the instance must be dropped.
 */
final class HandshakeState {

    static final String PROTOCOL_NAME = "Noise_XX_25519_ChaChaPoly_SHA256";

    /** Where the pattern is; which side writes depends on the role. */
    enum Step { MESSAGE_1, MESSAGE_2, MESSAGE_3, SPLIT }

    private final boolean initiator;
    private final SymmetricState symmetric;
    private final NoiseKeyPair s;
    private final Supplier<NoiseKeyPair> ephemeralSource;
    private NoiseKeyPair e;
    private byte[] re;
    private byte[] rs;
    private Step step = Step.MESSAGE_1;

    /**
     * @param ephemeralSource called once, when the ephemeral key is needed (a fixed key for vectors, a generator
     *                        otherwise)
     */
    HandshakeState(boolean initiator, byte[] prologue, NoiseKeyPair s, Supplier<NoiseKeyPair> ephemeralSource) {
        this.initiator = initiator;
        this.s = s;
        this.ephemeralSource = ephemeralSource;
        this.symmetric = new SymmetricState(PROTOCOL_NAME);
        symmetric.mixHash(prologue);
    }

    Step step() {
        return step;
    }

    boolean isInitiator() {
        return initiator;
    }

    /** True if the next message is ours to write. */
    boolean writesNext() {
        return switch (step) {
            case MESSAGE_1, MESSAGE_3 -> initiator;
            case MESSAGE_2 -> !initiator;
            default -> false;
        };
    }

    byte[] writeMessage(byte[] payload) {
        if (!writesNext()) {
            throw new InternalException("noise: cannot write at " + step + " as " + role());
        }
        byte[] out;
        switch (step) {
            case MESSAGE_1 -> {
                byte[] ePub = writeE();
                out = SymmetricState.concat(ePub, symmetric.encryptAndHash(payload));
                step = Step.MESSAGE_2;
            }
            case MESSAGE_2 -> {
                byte[] ePub = writeE();
                mixDh(e, re, "ee");
                byte[] encS = symmetric.encryptAndHash(s.publicKeyUnsafe());
                mixDh(s, re, "es");
                out = concat3(ePub, encS, symmetric.encryptAndHash(payload));
                step = Step.MESSAGE_3;
            }
            default -> {
                byte[] encS = symmetric.encryptAndHash(s.publicKeyUnsafe());
                mixDh(s, re, "se");
                out = SymmetricState.concat(encS, symmetric.encryptAndHash(payload));
                step = Step.SPLIT;
            }
        }
        return out;
    }

    /** Consumes one handshake message and returns its decrypted payload. */
    byte[] readMessage(byte[] message) {
        if (writesNext() || step == Step.SPLIT) {
            throw new InternalException("noise: cannot read at " + step + " as " + role());
        }
        byte[] payload;
        if (step == Step.MESSAGE_1) {
            int off = readE(message);
            payload = symmetric.decryptAndHash(Arrays.copyOfRange(message, off, message.length));
            step = Step.MESSAGE_2;
        } else if (step == Step.MESSAGE_2) {
            int off = readE(message);
            mixDh(e, re, "ee");
            off = readS(message, off);
            mixDh(e, rs, "es");
            payload = decryptPayload(message, off);
            step = Step.MESSAGE_3;
        } else {
            int off = readS(message, 0);
            mixDh(e, rs, "se");
            payload = decryptPayload(message, off);
            step = Step.SPLIT;
        }
        return payload;
    }

    /** The transport cipher states as {send, receive} for this side. */
    CipherState[] split() {
        if (step != Step.SPLIT) {
            throw new InternalException("noise: split before the handshake finished, at " + step);
        }
        CipherState[] pair = symmetric.split();
        return initiator ? pair : new CipherState[] {pair[1], pair[0]};
    }

    byte[] handshakeHash() {
        return symmetric.handshakeHash();
    }

    /** The remote's static X25519 public key, once received (message 2 for the initiator, 3 for the responder). */
    byte[] remoteStaticKey() {
        return rs == null ? null : rs.clone();
    }

    private byte[] writeE() {
        e = ephemeralSource.get();
        symmetric.mixHash(e.publicKeyUnsafe());
        return e.publicKey();
    }

    private int readE(byte[] message) {
        if (message.length < NoiseKeyPair.KEY_LENGTH) {
            throw new ProtocolViolationException("noise: handshake " + stepName() + " of " + message.length
                + " bytes is too short for an ephemeral key (32 bytes)");
        }
        re = Arrays.copyOf(message, NoiseKeyPair.KEY_LENGTH);
        symmetric.mixHash(re);
        return NoiseKeyPair.KEY_LENGTH;
    }

    private int readS(byte[] message, int off) {
        int len = NoiseKeyPair.KEY_LENGTH + (symmetric.hasKey() ? CipherState.TAG_LENGTH : 0);
        if (message.length - off < len) {
            throw new ProtocolViolationException("noise: handshake " + stepName() + " of " + message.length
                + " bytes is too short for an encrypted static key");
        }
        rs = decryptPart(Arrays.copyOfRange(message, off, off + len), "static key");
        return off + len;
    }

    private byte[] decryptPayload(byte[] message, int off) {
        return decryptPart(Arrays.copyOfRange(message, off, message.length), "payload");
    }

    private byte[] decryptPart(byte[] ciphertext, String what) {
        try {
            return symmetric.decryptAndHash(ciphertext);
        } catch (ProtocolViolationException ex) {
            throw new ProtocolViolationException("noise: handshake " + stepName() + " " + what
                + " failed authentication", ex);
        }
    }

    private void mixDh(NoiseKeyPair local, byte[] remote, String token) {
        byte[] shared = local.dh(remote);
        if (shared == null) {
            throw new ProtocolViolationException("noise: DH '" + token + "' in handshake " + stepName()
                + " gave all zeros: the remote sent a low-order X25519 key");
        }
        symmetric.mixKey(shared);
    }

    private static byte[] concat3(byte[] a, byte[] b, byte[] c) {
        return SymmetricState.concat(SymmetricState.concat(a, b), c);
    }

    private String stepName() {
        return "message " + (step.ordinal() + 1);
    }

    private String role() {
        return initiator ? "initiator" : "responder";
    }
}
