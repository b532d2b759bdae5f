package dev.edgelink.libp2p.noise;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.ProtocolViolationException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the ChaCha20-Poly1305 implementation for Noise transport cipher states: OpenSSL's libcrypto when it loads
 * and passes a known-answer self-test (the RFC 8439 section 2.8.2 AEAD vector), else the JDK's. The system property
 * {@value #PROPERTY} = {@code auto} (default) | {@code jdk} | {@code openssl} forces one; {@code openssl} when
 * libcrypto is unusable is a {@link ConfigurationException}.
 *
 * <p>libcrypto is loaded and tested once, at the first transport cipher state; the property is read for each one,
 * so tests and benchmarks can switch. Each distinct choice is logged once at INFO with the reason.
 */
final class ChaChaPolySelector {

    static final String PROPERTY = "edgelink.noise.cipher";

    private static final Logger LOG = LoggerFactory.getLogger(ChaChaPolySelector.class);
    private static final HexFormat HEX = HexFormat.of();

    /** RFC 8439 section 2.8.2. */
    private static final byte[] KAT_KEY = HEX.parseHex(
        "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    private static final byte[] KAT_NONCE = HEX.parseHex("070000004041424344454647");
    private static final byte[] KAT_AD = HEX.parseHex("50515253c0c1c2c3c4c5c6c7");
    private static final byte[] KAT_PLAINTEXT = ("Ladies and Gentlemen of the class of '99: If I could offer you "
        + "only one tip for the future, sunscreen would be it.").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KAT_SEALED = HEX.parseHex(
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b"
            + "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
            + "3ff4def08e4b7a9de576d26586cec64b6116" + "1ae10b594f09e26a7e902ecbd0600691");

    private static String lastLogged;

    private ChaChaPolySelector() {
    }

    /** A transport AEAD keyed with {@code key}, from the implementation the property and the self-test choose. */
    static ChaChaPoly forTransport(byte[] key) {
        OpenSsl openssl = null;
        String mode = System.getProperty(PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        String reason;
        switch (mode) {
            case "jdk" -> reason = "forced by -D" + PROPERTY + "=jdk";
            case "openssl" -> {
                openssl = OpenSsl.PROBE;
                if (openssl.library == null) {
                    throw new ConfigurationException("noise: -D" + PROPERTY + "=openssl but " + openssl.reason
                        + "; install libcrypto (Debian: libssl3) or set " + PROPERTY + " to auto or jdk");
                }
                reason = "forced by -D" + PROPERTY + "=openssl; " + openssl.reason;
            }
            case "auto" -> {
                openssl = OpenSsl.PROBE.library != null ? OpenSsl.PROBE : null;
                reason = OpenSsl.PROBE.reason;
            }
            default -> throw new ConfigurationException("noise: system property " + PROPERTY
                + " must be auto, jdk or openssl, got '" + mode + "'");
        }
        ChaChaPoly aead = openssl != null ? new OpenSslChaChaPoly(openssl.library.crypto(), key)
            : new JdkChaChaPoly(key);
        logChoice(aead.name(), reason);
        return aead;
    }

    private static synchronized void logChoice(String backend, String reason) {
        String choice = backend + ": " + reason;
        if (!choice.equals(lastLogged)) {
            lastLogged = choice;
            LOG.info("Noise transport encryption uses ChaCha20-Poly1305 from {} ({}) backend={}",
                backend.equals("jdk") ? "the JDK" : "OpenSSL libcrypto", reason, backend);
        }
    }

    /**
     * Runs the RFC 8439 vector through {@code aead}: sealing must give the published bytes, opening must give the
     * plaintext back, and opening with one bit flipped must fail.
     *
     * @return null if all passed, else what went wrong
     */
    static String selfTest(ChaChaPoly aead) {
        ByteBuf sealed = Unpooled.buffer(KAT_SEALED.length);
        ByteBuf opened = Unpooled.buffer(KAT_PLAINTEXT.length);
        try {
            int n = aead.encrypt(KAT_NONCE, KAT_AD, Unpooled.wrappedBuffer(KAT_PLAINTEXT), 0, KAT_PLAINTEXT.length,
                sealed, 0);
            byte[] got = new byte[KAT_SEALED.length];
            sealed.getBytes(0, got);
            if (n != KAT_SEALED.length || !Arrays.equals(got, KAT_SEALED)) {
                return "RFC 8439 self-test: wrong ciphertext or tag " + HEX.formatHex(got);
            }
            aead.decrypt(KAT_NONCE, KAT_AD, sealed, 0, got.length, opened, 0);
            byte[] back = new byte[KAT_PLAINTEXT.length];
            opened.getBytes(0, back);
            if (!Arrays.equals(back, KAT_PLAINTEXT)) {
                return "RFC 8439 self-test: decryption did not restore the plaintext";
            }
            sealed.setByte(0, sealed.getByte(0) ^ 1);
            try {
                aead.decrypt(KAT_NONCE, KAT_AD, sealed, 0, got.length, opened, 0);
                return "RFC 8439 self-test: a tampered ciphertext was accepted";
            } catch (ProtocolViolationException expected) {
                return null;
            }
        } finally {
            sealed.release();
            opened.release();
        }
    }

    /** The outcome of loading and testing libcrypto, once per process (initialised at first use). */
    private static final class OpenSsl {
        static final OpenSsl PROBE = probe();

        final OpenSslChaChaPoly.Library library;
        final String reason;

        private OpenSsl(OpenSslChaChaPoly.Library library, String reason) {
            this.library = library;
            this.reason = reason;
        }

        private static OpenSsl probe() {
            OpenSslChaChaPoly.Library lib;
            try {
                lib = OpenSslChaChaPoly.load();
            } catch (LinkageError | RuntimeException e) {
                return new OpenSsl(null, "libcrypto did not load: " + e.getMessage());
            }
            String which = lib.soname();
            String failure;
            try (OpenSslChaChaPoly aead = new OpenSslChaChaPoly(lib.crypto(), KAT_KEY)) {
                which = lib.soname() + " (" + lib.version() + ")";
                failure = selfTest(aead);
            } catch (LinkageError | RuntimeException e) {
                failure = "RFC 8439 self-test failed: " + e;
            }
            return failure == null ? new OpenSsl(lib, which + " passed the RFC 8439 self-test")
                : new OpenSsl(null, which + " is unusable: " + failure);
        }
    }
}
