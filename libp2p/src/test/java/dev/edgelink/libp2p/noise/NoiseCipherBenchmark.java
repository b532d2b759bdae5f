package dev.edgelink.libp2p.noise;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.function.Function;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * Throughput of the ChaCha20-Poly1305 implementations for Noise transport frames (65519-byte plaintexts, the largest
 * a frame carries), printed in MB/s; a measurement to run by hand, not a test:
 *
 * <pre>
 *   mvn -q -pl libp2p test-compile
 *   java -cp "libp2p/target/test-classes:libp2p/target/classes:$(cat cp.txt)" \
 *       dev.edgelink.libp2p.noise.NoiseCipherBenchmark
 * </pre>
 *
 * (cp.txt from {@code mvn -pl libp2p dependency:build-classpath -Dmdep.outputFile=cp.txt}). Each candidate runs for
 * about a second per direction and round; the first rounds are JIT warm-up. Candidates: {@link JdkChaChaPoly} and
 * {@link OpenSslChaChaPoly} on heap and on direct buffers (the codec gives each its preferred kind: heap to the JDK,
 * direct to OpenSSL), and BouncyCastle's {@code ChaCha20Poly1305} on heap arrays for reference.
 */
public final class NoiseCipherBenchmark {

    private static final int SIZE = NoiseTransportCodec.MAX_PLAINTEXT_LENGTH;
    private static final int TAG = CipherState.TAG_LENGTH;
    private static final long RUN_NANOS = 1_000_000_000L;
    private static final int ROUNDS = 4;
    /** Decryption cycles through this many distinct messages, so consecutive nonces differ as on the wire. */
    private static final int SEALED = 8;

    private NoiseCipherBenchmark() {
    }

    public static void main(String[] args) {
        System.out.println("java " + System.getProperty("java.version") + ", " + SIZE + "-byte messages, "
            + Runtime.getRuntime().availableProcessors() + " CPUs, one thread");
        byte[] key = new byte[32];
        Function<byte[], ChaChaPoly> openssl = null;
        try {
            OpenSslChaChaPoly.Library lib = OpenSslChaChaPoly.load();
            System.out.println("libcrypto: " + lib.soname() + ", " + lib.version());
            openssl = k -> new OpenSslChaChaPoly(lib.crypto(), k);
        } catch (UnsatisfiedLinkError e) {
            System.out.println("libcrypto unavailable, OpenSSL rows skipped: " + e.getMessage());
        }
        for (int round = 1; round <= ROUNDS; round++) {
            System.out.printf("round %d%n", round);
            row("jdk heap", JdkChaChaPoly::new, key, false);
            row("jdk direct", JdkChaChaPoly::new, key, true);
            if (openssl != null) {
                row("openssl heap", openssl, key, false);
                row("openssl direct", openssl, key, true);
            }
            System.out.printf("  %-15s enc %6.0f MB/s  dec %6.0f MB/s%n", "bc heap", bouncyCastle(key, true),
                bouncyCastle(key, false));
        }
    }

    private static void row(String name, Function<byte[], ChaChaPoly> factory, byte[] key, boolean direct) {
        System.out.printf("  %-15s enc %6.0f MB/s  dec %6.0f MB/s%n", name, encrypt(factory, key, direct),
            decrypt(factory, key, direct));
    }

    private static double encrypt(Function<byte[], ChaChaPoly> factory, byte[] key, boolean direct) {
        ByteBuf plain = buffer(direct, SIZE);
        ByteBuf out = buffer(direct, SIZE + TAG);
        try (ChaChaPoly aead = factory.apply(key)) {
            long n = 0;
            long start = System.nanoTime();
            long elapsed;
            do {
                aead.encrypt(nonce(n++), null, plain, 0, SIZE, out, 0);
                elapsed = System.nanoTime() - start;
            } while (elapsed < RUN_NANOS);
            return mbps(n, elapsed);
        } finally {
            plain.release();
            out.release();
        }
    }

    private static double decrypt(Function<byte[], ChaChaPoly> factory, byte[] key, boolean direct) {
        ByteBuf[] sealed = new ByteBuf[SEALED];
        ByteBuf plain = buffer(direct, SIZE);
        ByteBuf out = buffer(direct, SIZE);
        try (ChaChaPoly sealer = factory.apply(key); ChaChaPoly aead = factory.apply(key)) {
            for (int i = 0; i < SEALED; i++) {
                sealed[i] = buffer(direct, SIZE + TAG);
                sealer.encrypt(nonce(i), null, plain, 0, SIZE, sealed[i], 0);
            }
            long n = 0;
            long start = System.nanoTime();
            long elapsed;
            do {
                int m = (int) (n++ % SEALED);
                aead.decrypt(nonce(m), null, sealed[m], 0, SIZE + TAG, out, 0);
                elapsed = System.nanoTime() - start;
            } while (elapsed < RUN_NANOS);
            return mbps(n, elapsed);
        } finally {
            plain.release();
            out.release();
            for (ByteBuf b : sealed) {
                if (b != null) {
                    b.release();
                }
            }
        }
    }

    private static double bouncyCastle(byte[] key, boolean encrypt) {
        ChaCha20Poly1305 aead = new ChaCha20Poly1305();
        KeyParameter keyParam = new KeyParameter(key);
        byte[] plain = new byte[SIZE];
        byte[] ct = new byte[SIZE + TAG];
        byte[] out = new byte[SIZE];
        try {
            aead.init(true, new AEADParameters(keyParam, 128, nonce(0)));
            aead.doFinal(ct, aead.processBytes(plain, 0, SIZE, ct, 0));
            long n = 0;
            long start = System.nanoTime();
            long elapsed;
            do {
                if (encrypt) {
                    aead.init(true, new AEADParameters(keyParam, 128, nonce(++n)));
                    aead.doFinal(ct, aead.processBytes(plain, 0, SIZE, ct, 0));
                } else {
                    aead.init(false, new AEADParameters(keyParam, 128, nonce(0)));
                    aead.doFinal(out, aead.processBytes(ct, 0, ct.length, out, 0));
                    n++;
                }
                elapsed = System.nanoTime() - start;
            } while (elapsed < RUN_NANOS);
            return mbps(n, elapsed);
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ByteBuf buffer(boolean direct, int size) {
        ByteBuf buf = direct ? Unpooled.directBuffer(size) : Unpooled.buffer(size);
        return buf.writeZero(size);
    }

    private static byte[] nonce(long n) {
        byte[] nonce = new byte[12];
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (n >>> (8 * i));
        }
        return nonce;
    }

    private static double mbps(long messages, long nanos) {
        return (double) SIZE * messages / 1e6 / (nanos / 1e9);
    }
}
