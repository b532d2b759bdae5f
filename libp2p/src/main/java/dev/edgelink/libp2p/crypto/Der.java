package dev.edgelink.libp2p.crypto;

import dev.edgelink.libp2p.InternalException;
import dev.edgelink.libp2p.ProtocolViolationException;
import java.io.IOException;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Primitive;

/**
 * Strict ASN.1 DER: one object filling the input exactly, in its single canonical encoding. Key bytes feed peer
 * ids, so a second (BER) spelling of the same key must not be accepted.
 */
final class Der {

    private Der() {
    }

    static ASN1Primitive parse(byte[] bytes, String what) {
        ASN1Primitive object;
        try {
            object = ASN1Primitive.fromByteArray(bytes);
        } catch (IOException | RuntimeException e) {
            throw new ProtocolViolationException(what + " is not valid ASN.1 DER: " + e.getMessage(), e);
        }
        if (object == null || !Arrays.equals(encode(object), bytes)) {
            throw new ProtocolViolationException(what + " is not in canonical DER form");
        }
        return object;
    }

    static byte[] encode(ASN1Encodable object) {
        try {
            return object.toASN1Primitive().getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new InternalException("DER encoding of an in-memory object failed", e);
        }
    }
}
