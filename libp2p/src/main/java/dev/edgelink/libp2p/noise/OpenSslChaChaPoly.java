package dev.edgelink.libp2p.noise;

import com.kenai.jffi.MemoryIO;
import dev.edgelink.libp2p.InternalException;
import io.netty.buffer.ByteBuf;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.u_int64_t;

/**
 * ChaCha20-Poly1305 from OpenSSL's libcrypto (EVP API), called through jnr-ffi. libcrypto has AVX2/AVX-512 code for
 * both halves and runs at several GB/s per core, where the JDK 17 cipher does about 240 MB/s.
 *
 * <p>Design: one {@code EVP_CIPHER_CTX} per instance, keyed once in the constructor; each message only re-inits the
 * nonce and direction ({@code EVP_EncryptInit_ex}/{@code EVP_DecryptInit_ex} with no cipher and no key keep the key
 * schedule). Every pointer crosses jnr-ffi as a plain address, so calls are primitive-only and nothing is marshalled
 * or allocated per call. Buffers with a native address (netty direct buffers) are read and written where they are,
 * with no copy; anything else (heap, composite) goes through one native scratch block per instance in 64 KiB chunks,
 * which works because the EVP API streams. The block is allocated with jffi (jnr-ffi's native layer) rather than
 * {@code ByteBuffer.allocateDirect}, so that {@link #close()} can free it at once instead of at some later GC. It
 * also holds the nonce, the tag and the length out-parameter:
 *
 * <pre>
 *  scratch (native, SCRATCH_SIZE bytes):
 *  +----------+----------+-----------+------------+----------+----------------------------+
 *  | outl (4) | pad (12) | tag (16)  | nonce (12) | pad (20) | data chunk (64 KiB)        |
 *  +----------+----------+-----------+------------+----------+----------------------------+
 *  0          4          16          32           44         64
 * </pre>
 *
 * <p>Every libcrypto return code is checked: a tag mismatch in {@code EVP_CipherFinal_ex} while decrypting is an
 * authentication failure ({@link dev.edgelink.libp2p.ProtocolViolationException}); any other failure is unexpected
 * ({@link InternalException} naming the call and OpenSSL's reason). The thread's OpenSSL error queue is cleared after
 * a failure so nothing stale is left for other libcrypto users in the process.
 *
 * <p>{@link #close()} frees the context and the scratch block (wiped first); a {@link Cleaner} does the same if an
 * instance becomes unreachable without being closed.
 */
final class OpenSslChaChaPoly implements ChaChaPoly {

    /** Shared object names tried in order; no unversioned name, which may be a stub that aborts (macOS). */
    static final List<String> LIBRARY_NAMES = List.of("libcrypto.so.3", "libcrypto.so.1.1");

    private static final int EVP_CTRL_AEAD_GET_TAG = 0x10;
    private static final int EVP_CTRL_AEAD_SET_TAG = 0x11;
    private static final int CHUNK = 64 * 1024;
    private static final int OUTL_OFF = 0;
    private static final int TAG_OFF = 16;
    private static final int NONCE_OFF = 32;
    private static final int DATA_OFF = 64;
    private static final int SCRATCH_SIZE = DATA_OFF + CHUNK;
    private static final Cleaner CLEANER = Cleaner.create();
    private static final MemoryIO MEMORY = MemoryIO.getInstance();

    /**
     * The libcrypto functions used. Pointers are {@code intptr_t} addresses: same registers as a pointer on every
     * LP64 ABI, and it keeps jnr-ffi on its primitive fast path. No function here takes six arguments: jnr-ffi
     * 2.2.17's generated fast path passed {@code enc = 0} to the six-argument {@code EVP_CipherInit_ex} as non-zero
     * (it works with {@code -Djnr.ffi.asm.enabled=false}), so the direction is chosen by {@code EVP_EncryptInit_ex}
     * or {@code EVP_DecryptInit_ex} instead.
     */
    public interface LibCrypto {
        @intptr_t long EVP_CIPHER_CTX_new();

        void EVP_CIPHER_CTX_free(@intptr_t long ctx);

        @intptr_t long EVP_chacha20_poly1305();

        int EVP_EncryptInit_ex(@intptr_t long ctx, @intptr_t long cipher, @intptr_t long engine,
                               @intptr_t long key, @intptr_t long iv);

        int EVP_DecryptInit_ex(@intptr_t long ctx, @intptr_t long cipher, @intptr_t long engine,
                               @intptr_t long key, @intptr_t long iv);

        int EVP_CIPHER_CTX_ctrl(@intptr_t long ctx, int type, int arg, @intptr_t long ptr);

        int EVP_CipherUpdate(@intptr_t long ctx, @intptr_t long out, @intptr_t long outl, @intptr_t long in,
                             int inl);

        int EVP_CipherFinal_ex(@intptr_t long ctx, @intptr_t long out, @intptr_t long outl);

        @u_int64_t long ERR_get_error();

        String ERR_reason_error_string(@u_int64_t long e);

        void ERR_clear_error();

        String OpenSSL_version(int type);
    }

    /** A loaded libcrypto and the name it was loaded by. */
    record Library(LibCrypto crypto, String soname) {
        String version() {
            return crypto.OpenSSL_version(0);
        }
    }

    private final LibCrypto lib;
    private final long ctx;
    private final long scratchAddress;
    /** The scratch block for absolute gets and puts; its position and limit never change. */
    private final ByteBuffer scratch;
    /** The same memory, positioned and limited for each netty copy in or out. */
    private final ByteBuffer window;
    private final Cleaner.Cleanable cleanable;
    private boolean closed;

    /**
     * Loads libcrypto; every function of {@link LibCrypto} must resolve.
     *
     * @throws UnsatisfiedLinkError naming each library tried and why it failed
     */
    static Library load() {
        List<String> failures = new ArrayList<>();
        for (String name : LIBRARY_NAMES) {
            try {
                LibCrypto lib = LibraryLoader.create(LibCrypto.class).option(LibraryOption.IgnoreError, true)
                    .failImmediately().load(name);
                return new Library(lib, name);
            } catch (LinkageError e) {
                failures.add(name + ": " + firstLine(e.getMessage()));
            }
        }
        throw new UnsatisfiedLinkError("no usable libcrypto (" + String.join("; ", failures) + ")");
    }

    /** A context keyed with {@code key}; the key bytes are copied and the copy in native memory wiped. */
    OpenSslChaChaPoly(LibCrypto lib, byte[] key) {
        if (key.length != KEY_LENGTH) {
            throw new InternalException("noise: cipher key must be 32 bytes, got " + key.length);
        }
        this.lib = lib;
        scratchAddress = MEMORY.allocateMemory(SCRATCH_SIZE, true);
        if (scratchAddress == 0) {
            throw new InternalException("noise: could not allocate " + SCRATCH_SIZE + " bytes of native memory");
        }
        ctx = lib.EVP_CIPHER_CTX_new();
        if (ctx == 0) {
            MEMORY.freeMemory(scratchAddress);
            throw new InternalException("noise: EVP_CIPHER_CTX_new failed (out of native memory?)");
        }
        cleanable = CLEANER.register(this, new Release(lib, ctx, scratchAddress));
        scratch = MEMORY.newDirectByteBuffer(scratchAddress, SCRATCH_SIZE).order(ByteOrder.nativeOrder());
        window = scratch.duplicate();
        try {
            scratch.put(DATA_OFF, key);
            int rc = lib.EVP_EncryptInit_ex(ctx, lib.EVP_chacha20_poly1305(), 0, scratchAddress + DATA_OFF, 0);
            MEMORY.setMemory(scratchAddress + DATA_OFF, KEY_LENGTH, (byte) 0);
            check(rc, "EVP_EncryptInit_ex (key)");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public int encrypt(byte[] nonce, byte[] ad, ByteBuf in, int inIndex, int len, ByteBuf out, int outIndex) {
        try {
            begin(nonce, true);
            authenticate(ad);
            update(in, inIndex, len, out, outIndex);
            check(lib.EVP_CipherFinal_ex(ctx, scratchAddress + DATA_OFF, scratchAddress + OUTL_OFF),
                "EVP_CipherFinal_ex");
            if (out.hasMemoryAddress()) {
                getTag(out.memoryAddress() + outIndex + len);
            } else {
                getTag(scratchAddress + TAG_OFF);
                out.setBytes(outIndex + len, region(TAG_OFF, TAG_LENGTH));
            }
            return len + TAG_LENGTH;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    @Override
    public int decrypt(byte[] nonce, byte[] ad, ByteBuf in, int inIndex, int len, ByteBuf out, int outIndex) {
        if (len < TAG_LENGTH) {
            throw ChaChaPoly.authenticationFailed(null);
        }
        int plainLen = len - TAG_LENGTH;
        try {
            begin(nonce, false);
            // The tag is read before decryption starts, so in-place decryption cannot disturb it.
            long tagAddress;
            if (in.hasMemoryAddress()) {
                tagAddress = in.memoryAddress() + inIndex + plainLen;
            } else {
                in.getBytes(inIndex + plainLen, region(TAG_OFF, TAG_LENGTH));
                tagAddress = scratchAddress + TAG_OFF;
            }
            check(lib.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LENGTH, tagAddress), "set tag");
            authenticate(ad);
            update(in, inIndex, plainLen, out, outIndex);
            if (lib.EVP_CipherFinal_ex(ctx, scratchAddress + DATA_OFF, scratchAddress + OUTL_OFF) != 1) {
                lib.ERR_clear_error();
                // EVP streams: unauthenticated plaintext is already in out; do not leave it there.
                out.setZero(outIndex, plainLen);
                throw ChaChaPoly.authenticationFailed(null);
            }
            return plainLen;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    private void begin(byte[] nonce, boolean encrypt) {
        if (closed) {
            throw new InternalException("noise: OpenSSL ChaCha20-Poly1305 used after close");
        }
        if (nonce.length != NONCE_LENGTH) {
            throw new InternalException("noise: nonce must be 12 bytes, got " + nonce.length);
        }
        scratch.put(NONCE_OFF, nonce);
        long iv = scratchAddress + NONCE_OFF;
        if (encrypt) {
            check(lib.EVP_EncryptInit_ex(ctx, 0, 0, 0, iv), "EVP_EncryptInit_ex (nonce)");
        } else {
            check(lib.EVP_DecryptInit_ex(ctx, 0, 0, 0, iv), "EVP_DecryptInit_ex (nonce)");
        }
    }

    /** Feeds associated data (an update with no output), through the scratch block. */
    private void authenticate(byte[] ad) {
        if (ad == null) {
            return;
        }
        for (int done = 0; done < ad.length; done += CHUNK) {
            int n = Math.min(CHUNK, ad.length - done);
            scratch.put(DATA_OFF, ad, done, n);
            check(lib.EVP_CipherUpdate(ctx, 0, scratchAddress + OUTL_OFF, scratchAddress + DATA_OFF, n),
                "EVP_CipherUpdate (associated data)");
        }
    }

    /** Runs the cipher over {@code len} bytes: in place where the output has an address, else chunk by chunk. */
    private void update(ByteBuf in, int inIndex, int len, ByteBuf out, int outIndex) {
        if (len == 0) {
            return;
        }
        if (out.hasMemoryAddress()) {
            long dst = out.memoryAddress() + outIndex;
            long src;
            if (in.hasMemoryAddress()) {
                src = in.memoryAddress() + inIndex;
            } else {
                out.setBytes(outIndex, in, inIndex, len);
                src = dst;
            }
            cipherUpdate(dst, src, len);
            return;
        }
        for (int done = 0; done < len; done += CHUNK) {
            int n = Math.min(CHUNK, len - done);
            long src;
            if (in.hasMemoryAddress()) {
                src = in.memoryAddress() + inIndex + done;
            } else {
                in.getBytes(inIndex + done, region(DATA_OFF, n));
                src = scratchAddress + DATA_OFF;
            }
            cipherUpdate(scratchAddress + DATA_OFF, src, n);
            out.setBytes(outIndex + done, region(DATA_OFF, n));
        }
    }

    private void cipherUpdate(long dst, long src, int n) {
        check(lib.EVP_CipherUpdate(ctx, dst, scratchAddress + OUTL_OFF, src, n), "EVP_CipherUpdate");
        int written = scratch.getInt(OUTL_OFF);
        if (written != n) {
            throw new InternalException("noise: EVP_CipherUpdate wrote " + written + " bytes for " + n);
        }
    }

    private void getTag(long address) {
        check(lib.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_LENGTH, address), "get tag");
    }

    /** The scratch bytes {@code [offset, offset+length)} as a buffer positioned for one netty copy. */
    private ByteBuffer region(int offset, int length) {
        window.clear().position(offset).limit(offset + length);
        return window;
    }

    private void check(int rc, String call) {
        if (rc == 1) {
            return;
        }
        long code = lib.ERR_get_error();
        String reason = code == 0 ? "no error queued" : lib.ERR_reason_error_string(code);
        lib.ERR_clear_error();
        throw new InternalException("noise: libcrypto " + call + " failed (returned " + rc + ": " + reason + ")");
    }

    @Override
    public boolean prefersDirectBuffers() {
        return true;
    }

    @Override
    public String name() {
        return "openssl";
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            cleanable.clean();
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Frees one instance's native resources; must not refer to the instance, or it would never be collected. */
    private record Release(LibCrypto lib, long ctx, long scratchAddress) implements Runnable {
        @Override
        public void run() {
            lib.EVP_CIPHER_CTX_free(ctx);
            MEMORY.setMemory(scratchAddress, SCRATCH_SIZE, (byte) 0);
            MEMORY.freeMemory(scratchAddress);
        }
    }
}
