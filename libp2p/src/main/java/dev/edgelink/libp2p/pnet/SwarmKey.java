package dev.edgelink.libp2p.pnet;

import dev.edgelink.libp2p.ConfigurationException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.bouncycastle.crypto.digests.SHAKEDigest;
import org.bouncycastle.crypto.engines.Salsa20Engine;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * The pre-shared key of a libp2p private network (pnet PSK v1), read from a {@code swarm.key} file:
 *
 * <pre>
 *  /key/swarm/psk/1.0.0/\n          fixed header
 *  /base16/\n                       encoding of the key: /base16/, /base64/ or /bin/
 *  d5c29f62...0bb2a68               the 32-byte key (64 hex digits; a final newline is optional)
 * </pre>
 *
 * Lines may end in {@code \n} or {@code \r\n}. Immutable. The key never appears in {@link #toString()} or in
 * exception messages; {@link #fingerprint()} identifies it in logs.
 */
public final class SwarmKey {

    /** Length of the key in bytes (256 bits). */
    public static final int KEY_BYTES = 32;
    /** The header line naming the format. */
    public static final String HEADER = "/key/swarm/psk/1.0.0/";
    /** Largest file read; a valid one is under 200 bytes, anything much larger is not a swarm key. */
    static final int MAX_FILE_BYTES = 4096;

    private static final byte[] FINGERPRINT_NONCE = "finprint".getBytes(StandardCharsets.US_ASCII);

    private final byte[] key;

    private SwarmKey(byte[] key) {
        this.key = key;
    }

    /** A swarm key from its 32 raw bytes. */
    public static SwarmKey of(byte[] key) {
        if (key.length != KEY_BYTES) {
            throw new ConfigurationException("a swarm key is " + KEY_BYTES + " bytes, got " + key.length);
        }
        return new SwarmKey(key.clone());
    }

    /**
     * Reads a {@code swarm.key} file.
     *
     * @throws ConfigurationException naming the file and what is wrong with it
     */
    public static SwarmKey fromFile(Path path) {
        byte[] content;
        try {
            if (Files.size(path) > MAX_FILE_BYTES) {
                throw new ConfigurationException("swarm key file " + path + " is larger than " + MAX_FILE_BYTES
                        + " bytes; it is not a swarm key");
            }
            content = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new ConfigurationException("cannot read swarm key file " + path + ": " + e, e);
        }
        try {
            return parse(content);
        } catch (ConfigurationException e) {
            throw new ConfigurationException("swarm key file " + path + " is invalid: " + e.getMessage()
                    + "; expected '" + HEADER + "', then '/base16/', then 64 hex digits", e);
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    /**
     * Parses the content of a {@code swarm.key} file.
     *
     * @throws ConfigurationException saying what is wrong (never quoting key material)
     */
    public static SwarmKey parse(byte[] content) {
        int first = lineEnd(content, 0);
        int second = first < 0 ? -1 : lineEnd(content, next(content, first));
        if (second < 0) {
            throw new ConfigurationException("it needs a header line and an encoding line");
        }
        String header = new String(content, 0, first, StandardCharsets.US_ASCII);
        if (!header.equals(HEADER)) {
            throw new ConfigurationException("the first line must be " + HEADER);
        }
        int encodingStart = next(content, first);
        String encoding = new String(content, encodingStart, second - encodingStart, StandardCharsets.US_ASCII);
        byte[] body = Arrays.copyOfRange(content, next(content, second), content.length);
        byte[] key = switch (encoding) {
            case "/base16/" -> decodeText(body, "base16", t -> HexFormat.of().parseHex(t));
            case "/base64/" -> decodeText(body, "base64", t -> Base64.getDecoder().decode(t));
            case "/bin/" -> body;
            default -> throw new ConfigurationException("unknown key encoding on the second line"
                    + " (expected /base16/, /base64/ or /bin/)");
        };
        if (key.length != KEY_BYTES) {
            throw new ConfigurationException("the key is " + key.length + " bytes, it must be " + KEY_BYTES);
        }
        return new SwarmKey(key);
    }

    /**
     * A 16-byte hex digest that identifies the key without revealing it, the same one kubo (go-ipfs) logs as
     * "Swarm key fingerprint": SHAKE-128 of 64 bytes of Salsa20 keystream under the key with the nonce
     * {@code "finprint"}. Two nodes with equal fingerprints have the same key.
     */
    public String fingerprint() {
        Salsa20Engine salsa = new Salsa20Engine();
        salsa.init(true, new ParametersWithIV(new KeyParameter(key), FINGERPRINT_NONCE));
        byte[] stream = new byte[64];
        salsa.processBytes(new byte[64], 0, 64, stream, 0);
        SHAKEDigest shake = new SHAKEDigest(128);
        shake.update(stream, 0, stream.length);
        byte[] out = new byte[16];
        shake.doFinal(out, 0, out.length);
        return HexFormat.of().formatHex(out);
    }

    /** The raw key, for the cipher. Not public: the key leaves this package only through the handler. */
    byte[] key() {
        return key.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SwarmKey other && MessageDigest.isEqual(key, other.key);
    }

    @Override
    public int hashCode() {
        return fingerprint().hashCode();
    }

    @Override
    public String toString() {
        return "SwarmKey[fingerprint=" + fingerprint() + "]";
    }

    private interface TextDecoder {
        byte[] decode(String text);
    }

    private static byte[] decodeText(byte[] body, String base, TextDecoder decoder) {
        String text = new String(body, StandardCharsets.US_ASCII).strip();
        try {
            return decoder.decode(text);
        } catch (IllegalArgumentException e) {
            // The decoder's message may quote key characters; say only where the problem is.
            throw new ConfigurationException("the key is not valid " + base, null);
        }
    }

    /** Index of the '\n' or '\r\n' ending the line that starts at {@code from}, or -1. */
    private static int lineEnd(byte[] content, int from) {
        for (int i = from; i < content.length; i++) {
            if (content[i] == '\n') {
                return i > from && content[i - 1] == '\r' ? i - 1 : i;
            }
        }
        return -1;
    }

    private static int next(byte[] content, int lineEnd) {
        return content[lineEnd] == '\r' ? lineEnd + 2 : lineEnd + 1;
    }
}
