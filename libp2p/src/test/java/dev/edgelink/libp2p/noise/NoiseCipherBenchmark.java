package dev.edgelink.libp2p.noise;

import java.nio.ByteBuffer;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * Throughput of the ChaCha20-Poly1305 candidates for Noise transport frames (65519-byte plaintexts, the largest a
 * frame carries), printed in MB/s; a measurement to run by hand, not a test:
 *
 * <pre>
 *   mvn -q -pl libp2p test-compile
 *   java -cp "libp2p/target/test-classes:libp2p/target/classes:$(cat cp.txt)" \
 *       dev.edgelink.libp2p.noise.NoiseCipherBenchmark
 * </pre>
 *
 * (cp.txt from {@code mvn -pl libp2p dependency:build-classpath -Dmdep.outputFile=cp.txt}). Each candidate runs
 * several rounds; the first ones are JIT warm-up. {@link CipherState} uses the JDK cipher on heap arrays because
 * that came out fastest.
 */
public final class NoiseCipherBenchmark {

    private static final int SIZE = NoiseTransportCodec.MAX_PLAINTEXT_LENGTH;
    private static final int MESSAGES = 3000;
    private static final int ROUNDS = 5;

    private NoiseCipherBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("java " + System.getProperty("java.version") + ", " + SIZE + "-byte messages");
        byte[] key = new byte[32];
        for (int round = 1; round <= ROUNDS; round++) {
            System.out.printf("round %d: jdk-heap enc %.0f dec %.0f | jdk-direct enc %.0f | bc-heap enc %.0f dec %.0f"
                + " | CipherState enc %.0f MB/s%n", round, jdkHeap(key, true), jdkHeap(key, false), jdkDirect(key),
                bouncyCastle(key, true), bouncyCastle(key, false), cipherState(key));
        }
    }

    private static double jdkHeap(byte[] key, boolean encrypt) throws Exception {
        Cipher enc = Cipher.getInstance("ChaCha20-Poly1305");
        Cipher dec = Cipher.getInstance("ChaCha20-Poly1305");
        SecretKeySpec spec = new SecretKeySpec(key, "ChaCha20");
        byte[] plain = new byte[SIZE];
        // Decryption cycles through a few distinct messages: the JDK refuses to re-init with the previous nonce.
        byte[][] ct = new byte[8][];
        byte[] scratch = new byte[SIZE + CipherState.TAG_LENGTH];
        long start = System.nanoTime();
        for (int i = 0; i < MESSAGES; i++) {
            enc.init(Cipher.ENCRYPT_MODE, spec, new IvParameterSpec(nonce(i)));
            if (i < ct.length) {
                ct[i] = enc.doFinal(plain);
            } else {
                enc.doFinal(plain, 0, SIZE, scratch, 0);
            }
        }
        if (encrypt) {
            return mbps(start);
        }
        start = System.nanoTime();
        byte[] out = new byte[SIZE];
        for (int i = 0; i < MESSAGES; i++) {
            int m = i % ct.length;
            dec.init(Cipher.DECRYPT_MODE, spec, new IvParameterSpec(nonce(m)));
            dec.doFinal(ct[m], 0, ct[m].length, out, 0);
        }
        return mbps(start);
    }

    private static double jdkDirect(byte[] key) throws Exception {
        Cipher enc = Cipher.getInstance("ChaCha20-Poly1305");
        SecretKeySpec spec = new SecretKeySpec(key, "ChaCha20");
        ByteBuffer plain = ByteBuffer.allocateDirect(SIZE);
        ByteBuffer out = ByteBuffer.allocateDirect(SIZE + CipherState.TAG_LENGTH);
        long start = System.nanoTime();
        for (int i = 0; i < MESSAGES; i++) {
            enc.init(Cipher.ENCRYPT_MODE, spec, new IvParameterSpec(nonce(i + MESSAGES)));
            plain.clear();
            out.clear();
            enc.doFinal(plain, out);
        }
        return mbps(start);
    }

    private static double bouncyCastle(byte[] key, boolean encrypt) throws Exception {
        ChaCha20Poly1305 aead = new ChaCha20Poly1305();
        KeyParameter keyParam = new KeyParameter(key);
        byte[] plain = new byte[SIZE];
        byte[] ct = new byte[SIZE + CipherState.TAG_LENGTH];
        byte[] out = new byte[SIZE];
        aead.init(true, new AEADParameters(keyParam, 128, nonce(0)));
        aead.doFinal(ct, aead.processBytes(plain, 0, SIZE, ct, 0));
        long start = System.nanoTime();
        for (int i = 0; i < MESSAGES; i++) {
            if (encrypt) {
                aead.init(true, new AEADParameters(keyParam, 128, nonce(i + 1)));
                aead.doFinal(ct, aead.processBytes(plain, 0, SIZE, ct, 0));
            } else {
                aead.init(false, new AEADParameters(keyParam, 128, nonce(0)));
                aead.doFinal(out, aead.processBytes(ct, 0, ct.length, out, 0));
            }
        }
        return mbps(start);
    }

    private static double cipherState(byte[] key) {
        CipherState cs = new CipherState(key);
        byte[] plain = new byte[SIZE];
        byte[] out = new byte[SIZE + CipherState.TAG_LENGTH];
        long start = System.nanoTime();
        for (int i = 0; i < MESSAGES; i++) {
            cs.encrypt(plain, 0, SIZE, out, 0);
        }
        return mbps(start);
    }

    private static byte[] nonce(long n) {
        byte[] nonce = new byte[12];
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (n >>> (8 * i));
        }
        return nonce;
    }

    private static double mbps(long startNanos) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        return (double) SIZE * MESSAGES / 1e6 / seconds;
    }
}
