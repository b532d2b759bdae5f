package dev.edgelink.relay.circuit;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.crypto.PubKey;
import dev.edgelink.libp2p.encoding.Varint;
import dev.edgelink.relay.circuit.pb.CircuitProto.Envelope;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A signed envelope (libp2p RFC 0002): a payload, its type, the signer's public key and a signature over
 *
 * <pre>
 *   varint(len(domain)) domain | varint(len(payloadType)) payloadType | varint(len(payload)) payload
 * </pre>
 *
 * so that a signature made for one domain (use) is never valid in another.
 */
public record SignedEnvelope(PubKey signer, byte[] payloadType, byte[] payload) {

    /** Largest envelope accepted (it travels inside a relay message). */
    public static final int MAX_BYTES = CircuitCodec.MAX_MESSAGE;

    /** Signs {@code payload} for {@code domain} and encodes the envelope. */
    public static byte[] seal(PrivKey key, String domain, byte[] payloadType, byte[] payload) {
        byte[] signature = key.sign(signedBytes(domain, payloadType, payload));
        return Envelope.newBuilder()
                .setPublicKey(ByteString.copyFrom(key.publicKey().marshal()))
                .setPayloadType(ByteString.copyFrom(payloadType))
                .setPayload(ByteString.copyFrom(payload))
                .setSignature(ByteString.copyFrom(signature))
                .build().toByteArray();
    }

    /**
     * Decodes an envelope and checks its signature for {@code domain} and its payload type.
     *
     * @throws ProtocolViolationException if it is malformed, of another type or not signed by its key
     */
    public static SignedEnvelope open(byte[] bytes, String domain, byte[] expectedType) {
        if (bytes.length > MAX_BYTES) {
            throw new ProtocolViolationException("signed envelope too large: " + bytes.length + " bytes");
        }
        Envelope envelope;
        try {
            envelope = Envelope.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new ProtocolViolationException("malformed signed envelope: " + e.getMessage(), e);
        }
        PubKey signer = Keys.unmarshalPublicKey(envelope.getPublicKey().toByteArray());
        byte[] type = envelope.getPayloadType().toByteArray();
        if (!Arrays.equals(type, expectedType)) {
            throw new ProtocolViolationException("signed envelope has payload type " + toHex(type) + ", expected "
                    + toHex(expectedType));
        }
        byte[] payload = envelope.getPayload().toByteArray();
        if (!signer.verify(signedBytes(domain, type, payload), envelope.getSignature().toByteArray())) {
            throw new ProtocolViolationException("signed envelope: bad signature for domain " + domain);
        }
        return new SignedEnvelope(signer, type, payload);
    }

    private static byte[] signedBytes(String domain, byte[] payloadType, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] domainBytes = domain.getBytes(StandardCharsets.UTF_8);
        for (byte[] part : new byte[][] {domainBytes, payloadType, payload}) {
            out.writeBytes(Varint.encode(part.length));
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static String toHex(byte[] bytes) {
        StringBuilder sb = new StringBuilder("0x");
        for (byte b : bytes) {
            sb.append(String.format("%02x", b));
        }
        return sb.toString();
    }
}
