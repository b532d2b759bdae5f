package dev.edgelink.discovery.internal.trust;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.edgelink.discovery.internal.pb.TrustProto;
import dev.edgelink.discovery.trust.Fingerprint;
import dev.edgelink.discovery.trust.InvalidCertificateException;
import dev.edgelink.discovery.trust.TrustKind;
import dev.edgelink.discovery.trust.TrustProblem;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The envelope of every trust object. Pure (no I/O, no logging, no clock): it throws.
 *
 * <pre>
 *  SignedTrust (protobuf, proto3, canonical)
 *  +------+-----+------------------------------+
 *  | 0x08 | k   | kind                         |  1 CA, 2 node certificate, 3 revocation list
 *  +------+-----+------------------------------+
 *  | 0x12 | len | body                         |  CaBody / NodeBody / RevocationBody bytes, exactly as signed
 *  +------+-----+------------------------------+
 *  | 0x1a | 0x40| signature (64 bytes)         |  Ed25519(CA key, domain(kind) || body)
 *  +------+-----+------------------------------+
 *  domain(kind) = "edgelink-trust-ca:" | "edgelink-trust-node:" | "edgelink-trust-revocation:"
 *  fingerprint  = SHA-256 of all the bytes above
 * </pre>
 *
 * <p>The signature covers only the body, so the envelope must be canonical for the fingerprint to name one
 * certificate: {@link #decodeEnvelope} re-encodes what it read and refuses any difference. The domain keeps a
 * signature of one kind from passing for another, and for anything else the CA key might sign.
 */
public final class TrustCodec {

    /** Largest certificate envelope (CA or node) accepted; a full node certificate is about 500 bytes. */
    public static final int MAX_CERTIFICATE_BYTES = 4 * 1024;
    /** Largest revocation list envelope accepted (about 30,000 revoked fingerprints). */
    public static final int MAX_REVOCATION_BYTES = 1024 * 1024;
    /** Length of an Ed25519 signature. */
    public static final int SIGNATURE_BYTES = 64;

    /** A decoded envelope; {@code body} and {@code signature} are not copied. */
    public record Envelope(TrustKind kind, byte[] body, byte[] signature, Fingerprint fingerprint) {
    }

    private TrustCodec() {
    }

    /** The signature domain of {@code kind}. */
    public static String domain(TrustKind kind) {
        return switch (kind) {
            case CA -> "edgelink-trust-ca:";
            case NODE -> "edgelink-trust-node:";
            case REVOCATION -> "edgelink-trust-revocation:";
        };
    }

    /** The size limit of an envelope of {@code kind}. */
    public static int maxBytes(TrustKind kind) {
        return kind == TrustKind.REVOCATION ? MAX_REVOCATION_BYTES : MAX_CERTIFICATE_BYTES;
    }

    /** What is signed: the kind's domain followed by the body. */
    public static byte[] signedPayload(TrustKind kind, byte[] body) {
        byte[] domain = domain(kind).getBytes(StandardCharsets.US_ASCII);
        byte[] payload = Arrays.copyOf(domain, domain.length + body.length);
        System.arraycopy(body, 0, payload, domain.length, body.length);
        return payload;
    }

    public static byte[] encodeEnvelope(TrustKind kind, byte[] body, byte[] signature) {
        return TrustProto.SignedTrust.newBuilder()
                .setKindValue(kind.ordinal() + 1)
                .setBody(ByteString.copyFrom(body))
                .setSignature(ByteString.copyFrom(signature))
                .build().toByteArray();
    }

    /**
     * Decodes an envelope of kind {@code expected}, or of any known kind if {@code expected} is null. Checks size,
     * protobuf, canonical form, kind, signature length; not the signature itself, nor the body.
     *
     * @throws InvalidCertificateException MALFORMED, or WRONG_KIND if the kind is not {@code expected}
     */
    public static Envelope decodeEnvelope(byte[] encoded, TrustKind expected) {
        String what = expected == null ? "trust file" : expected.label();
        int limit = expected == null ? MAX_REVOCATION_BYTES : maxBytes(expected);
        if (encoded.length > limit) {
            throw malformed(what + " of " + encoded.length + " bytes is larger than the limit of " + limit);
        }
        Fingerprint fingerprint = Fingerprint.of(encoded);
        String subject = what + " " + fingerprint;
        TrustProto.SignedTrust pb;
        try {
            pb = TrustProto.SignedTrust.parseFrom(encoded);
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidCertificateException(TrustProblem.MALFORMED, subject + " is not a SignedTrust protobuf: "
                    + e.getMessage(), e);
        }
        int kindValue = pb.getKindValue();
        TrustKind kind = kindValue >= 1 && kindValue <= TrustKind.values().length
                ? TrustKind.values()[kindValue - 1] : null;
        if (expected != null && kind != expected) {
            throw new InvalidCertificateException(TrustProblem.WRONG_KIND, subject + " holds "
                    + (kind == null ? "an unknown kind (" + kindValue + ")" : "a " + kind.label())
                    + ", not a " + expected.label());
        }
        if (kind == null) {
            throw malformed(subject + " holds an unknown kind (" + kindValue + ")");
        }
        subject = kind.label() + " " + fingerprint;
        if (encoded.length > maxBytes(kind)) {
            throw malformed(subject + " of " + encoded.length + " bytes is larger than the limit of "
                    + maxBytes(kind));
        }
        byte[] body = pb.getBody().toByteArray();
        byte[] signature = pb.getSignature().toByteArray();
        if (!Arrays.equals(encoded, encodeEnvelope(kind, body, signature))) {
            throw malformed(subject + " is not in canonical form (unknown, repeated or reordered fields, or bytes"
                    + " after the end)");
        }
        if (signature.length != SIGNATURE_BYTES) {
            throw malformed(subject + " has a signature of " + signature.length + " bytes, not "
                    + SIGNATURE_BYTES);
        }
        return new Envelope(kind, body, signature, fingerprint);
    }

    static InvalidCertificateException malformed(String message) {
        return new InvalidCertificateException(TrustProblem.MALFORMED, message);
    }
}
