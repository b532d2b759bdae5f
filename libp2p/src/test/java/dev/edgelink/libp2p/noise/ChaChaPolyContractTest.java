package dev.edgelink.libp2p.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgelink.libp2p.InternalException;
import dev.edgelink.libp2p.ProtocolViolationException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What every {@link ChaChaPoly} must do, run once per implementation: the RFC 8439 section 2.8.2 vector, round trips
 * at the sizes around block and tag boundaries up to a full Noise frame, with every buffer kind on either side and in
 * place, and typed failures for anything tampered.
 */
abstract class ChaChaPolyContractTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] RFC_KEY = HEX.parseHex(
        "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    private static final byte[] RFC_NONCE = HEX.parseHex("070000004041424344454647");
    private static final byte[] RFC_AD = HEX.parseHex("50515253c0c1c2c3c4c5c6c7");
    private static final byte[] RFC_PLAINTEXT = ("Ladies and Gentlemen of the class of '99: If I could offer you only "
        + "one tip for the future, sunscreen would be it.").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RFC_CIPHERTEXT = HEX.parseHex(
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b"
            + "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
            + "3ff4def08e4b7a9de576d26586cec64b6116");
    private static final byte[] RFC_TAG = HEX.parseHex("1ae10b594f09e26a7e902ecbd0600691");
    private static final int TAG = ChaChaPoly.TAG_LENGTH;

    /** Where the bytes live; each kind takes a different path through an implementation. */
    enum Kind { HEAP, DIRECT, COMPOSITE }

    private final List<ByteBuf> allocated = new ArrayList<>();
    private ChaChaPoly aead;

    abstract ChaChaPoly create(byte[] key);

    @BeforeEach
    void setUp() {
        aead = create(RFC_KEY);
    }

    @AfterEach
    void tearDown() {
        aead.close();
        allocated.forEach(ByteBuf::release);
        NoiseTestSupport.provokeLeakReports();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void rfc8439VectorSealsToThePublishedCiphertextAndTag(Kind kind) {
        ByteBuf out = buffer(kind, RFC_PLAINTEXT.length + TAG);
        assertEquals(RFC_PLAINTEXT.length + TAG,
            aead.encrypt(RFC_NONCE, RFC_AD, buffer(kind, RFC_PLAINTEXT), 0, RFC_PLAINTEXT.length, out, 0));
        assertArrayEquals(concat(RFC_CIPHERTEXT, RFC_TAG), bytes(out, 0, RFC_PLAINTEXT.length + TAG));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void rfc8439VectorOpensToThePlaintext(Kind kind) {
        byte[] sealed = concat(RFC_CIPHERTEXT, RFC_TAG);
        ByteBuf out = buffer(kind, RFC_PLAINTEXT.length);
        assertEquals(RFC_PLAINTEXT.length,
            aead.decrypt(RFC_NONCE, RFC_AD, buffer(kind, sealed), 0, sealed.length, out, 0));
        assertArrayEquals(RFC_PLAINTEXT, bytes(out, 0, RFC_PLAINTEXT.length));
    }

    @Test
    void passesTheSelectorsSelfTest() {
        assertNull(ChaChaPolySelector.selfTest(aead));
    }

    static Stream<Arguments> sizesAndKinds() {
        List<Arguments> out = new ArrayList<>();
        for (int size : new int[] {0, 1, 15, 16, 17, 63, 64, 65, 65519}) {
            for (Kind in : Kind.values()) {
                for (Kind outKind : Kind.values()) {
                    out.add(Arguments.of(size, in, outKind));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} bytes, {1} to {2}")
    @MethodSource("sizesAndKinds")
    void roundTripRestoresThePlaintext(int size, Kind inKind, Kind outKind) {
        byte[] plain = random(size);
        byte[] nonce = nonce(size);
        // Offsets inside the buffers, so absolute indexing is exercised too.
        ByteBuf sealed = buffer(outKind, 3 + size + TAG);
        assertEquals(size + TAG, aead.encrypt(nonce, RFC_AD, buffer(inKind, prefixed(7, plain)), 7, size, sealed, 3));
        ByteBuf opened = buffer(inKind, 5 + size);
        assertEquals(size, aead.decrypt(nonce, RFC_AD, sealed, 3, size + TAG, opened, 5));
        assertArrayEquals(plain, bytes(opened, 5, size));
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, 17, 65519, 200_000})
    void inPlaceRoundTripWorksInEveryBufferKind(int size) {
        for (Kind kind : Kind.values()) {
            byte[] plain = random(size);
            byte[] nonce = nonce(size + kind.ordinal());
            ByteBuf buf = buffer(kind, prefixed(2, Arrays.copyOf(plain, size + TAG)));
            aead.encrypt(nonce, null, buf, 2, size, buf, 2);
            assertFalse(size > 0 && Arrays.equals(plain, bytes(buf, 2, size)), "encrypted in place");
            aead.decrypt(nonce, null, buf, 2, size + TAG, buf, 2);
            assertArrayEquals(plain, bytes(buf, 2, size), kind.name());
        }
    }

    @Test
    void sameInputUnderAnotherNonceGivesOtherCiphertextAndTag() {
        byte[] plain = random(100);
        byte[] a = seal(nonce(1), null, plain);
        byte[] b = seal(nonce(2), null, plain);
        assertFalse(Arrays.equals(Arrays.copyOf(a, 100), Arrays.copyOf(b, 100)));
        assertFalse(Arrays.equals(Arrays.copyOfRange(a, 100, 116), Arrays.copyOfRange(b, 100, 116)));
    }

    static Stream<Arguments> tamperings() {
        return Stream.of(Arguments.of("ciphertext byte", 0), Arguments.of("last ciphertext byte", 999),
            Arguments.of("tag byte", 1000), Arguments.of("last tag byte", 1015));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tamperings")
    void flippedBitFailsAuthenticationWithTypedExceptionAndNoPlaintext(String what, int index) {
        byte[] sealed = seal(nonce(9), RFC_AD, random(1000));
        sealed[index] ^= 0x04;
        for (Kind kind : Kind.values()) {
            ByteBuf out = buffer(kind, new byte[1000]);
            assertThrows(ProtocolViolationException.class,
                () -> aead.decrypt(nonce(9), RFC_AD, buffer(kind, sealed), 0, sealed.length, out, 0));
            assertArrayEquals(new byte[1000], bytes(out, 0, 1000), "no unauthenticated plaintext left behind");
        }
    }

    @Test
    void otherAssociatedDataFailsAuthentication() {
        byte[] sealed = seal(nonce(3), RFC_AD, random(64));
        byte[] otherAd = RFC_AD.clone();
        otherAd[11] ^= 1;
        assertThrows(ProtocolViolationException.class, () -> open(nonce(3), otherAd, sealed));
        assertThrows(ProtocolViolationException.class, () -> open(nonce(3), null, sealed));
    }

    @Test
    void otherNonceFailsAuthentication() {
        byte[] sealed = seal(nonce(4), null, random(64));
        assertThrows(ProtocolViolationException.class, () -> open(nonce(5), null, sealed));
    }

    @Test
    void inputShorterThanATagFailsAuthentication() {
        assertThrows(ProtocolViolationException.class, () -> open(nonce(6), null, new byte[TAG - 1]));
    }

    @Test
    void decryptionWorksAgainAfterAFailure() {
        byte[] plain = random(300);
        byte[] sealed = seal(nonce(7), null, plain);
        byte[] bad = sealed.clone();
        bad[5] ^= 1;
        assertThrows(ProtocolViolationException.class, () -> open(nonce(7), null, bad));
        assertArrayEquals(plain, open(nonce(7), null, sealed));
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseIsABug() {
        aead.close();
        aead.close();
        assertThrows(InternalException.class, () -> seal(nonce(8), null, new byte[1]));
    }

    @Test
    void agreesWithTheOtherImplementation() {
        try (ChaChaPoly jdk = new JdkChaChaPoly(RFC_KEY)) {
            for (int size : new int[] {0, 1, 1000, 65519}) {
                byte[] plain = random(size);
                ByteBuf viaJdk = Unpooled.buffer(size + TAG);
                jdk.encrypt(nonce(size), RFC_AD, Unpooled.wrappedBuffer(plain), 0, size, viaJdk, 0);
                allocated.add(viaJdk);
                assertArrayEquals(bytes(viaJdk, 0, size + TAG), seal(nonce(size), RFC_AD, plain));
            }
        }
    }

    private byte[] seal(byte[] nonce, byte[] ad, byte[] plain) {
        ByteBuf out = buffer(Kind.HEAP, plain.length + TAG);
        aead.encrypt(nonce, ad, buffer(Kind.HEAP, plain), 0, plain.length, out, 0);
        return bytes(out, 0, plain.length + TAG);
    }

    private byte[] open(byte[] nonce, byte[] ad, byte[] sealed) {
        ByteBuf out = buffer(Kind.HEAP, Math.max(0, sealed.length - TAG));
        int n = aead.decrypt(nonce, ad, buffer(Kind.HEAP, sealed), 0, sealed.length, out, 0);
        return bytes(out, 0, n);
    }

    private ByteBuf buffer(Kind kind, int size) {
        return buffer(kind, new byte[size]);
    }

    /** A buffer of {@code kind} holding {@code content} at index 0, writer index at the end. */
    private ByteBuf buffer(Kind kind, byte[] content) {
        ByteBuf buf = switch (kind) {
            case HEAP -> Unpooled.buffer(content.length).writeBytes(content);
            case DIRECT -> Unpooled.directBuffer(content.length).writeBytes(content);
            case COMPOSITE -> {
                // Two components split at an odd place, so a chunk boundary never lines up with a component one.
                int half = content.length / 3;
                CompositeByteBuf c = Unpooled.compositeBuffer();
                c.addComponent(true, Unpooled.directBuffer(half).writeBytes(content, 0, half));
                c.addComponent(true, Unpooled.buffer(content.length - half)
                    .writeBytes(content, half, content.length - half));
                yield c;
            }
        };
        allocated.add(buf);
        return buf;
    }

    private static byte[] bytes(ByteBuf buf, int index, int len) {
        byte[] out = new byte[len];
        buf.getBytes(index, out);
        return out;
    }

    private static byte[] prefixed(int junk, byte[] data) {
        byte[] out = new byte[junk + data.length];
        Arrays.fill(out, 0, junk, (byte) 0x5a);
        System.arraycopy(data, 0, out, junk, data.length);
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        return SymmetricState.concat(a, b);
    }

    private static byte[] nonce(long n) {
        byte[] nonce = new byte[ChaChaPoly.NONCE_LENGTH];
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (n >>> (8 * i));
        }
        return nonce;
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }
}
