package dev.edgelink.libp2p.crypto;

import dev.edgelink.libp2p.ProtocolViolationException;
import java.math.BigInteger;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.util.BigIntegers;

/**
 * Secp256k1 keys in the Bitcoin encoding:
 *
 * <pre>
 *  public  (Data, 33 bytes):  +------------+---------------------+
 *                             | 02 or 03   | x (32 bytes)        |   compressed point; 02 = even y, 03 = odd y
 *                             +------------+---------------------+
 *          (65-byte uncompressed 04 || x || y is read too and rewritten compressed, as go-libp2p does)
 *  private (Data, 32 bytes):  the scalar d, big-endian, 1 &lt;= d &lt; n
 * </pre>
 *
 * Signatures are ECDSA over SHA-256 of the data, DER-encoded (see {@link EcdsaSignatures}).
 */
final class Secp256k1Keys {

    static final int COMPRESSED_BYTES = 33;
    static final int UNCOMPRESSED_BYTES = 65;
    static final int PRIVATE_BYTES = 32;

    private static final X9ECParameters CURVE = CustomNamedCurves.getByName("secp256k1");
    private static final ECDomainParameters DOMAIN = new ECDomainParameters(CURVE);

    private Secp256k1Keys() {
    }

    static PubKey publicFromRaw(byte[] raw) {
        if (raw.length != COMPRESSED_BYTES && raw.length != UNCOMPRESSED_BYTES) {
            throw new ProtocolViolationException("Secp256k1 public key must be " + COMPRESSED_BYTES
                    + " bytes (compressed), got " + raw.length);
        }
        try {
            ECPoint point = DOMAIN.getCurve().decodePoint(raw);
            return newPublic(new ECPublicKeyParameters(point, DOMAIN));
        } catch (IllegalArgumentException e) {
            throw new ProtocolViolationException("Secp256k1 public key is not a valid curve point", e);
        }
    }

    static PrivKey privateFromData(byte[] data) {
        if (data.length != PRIVATE_BYTES) {
            throw new ProtocolViolationException(
                    "Secp256k1 private key must be " + PRIVATE_BYTES + " bytes, got " + data.length);
        }
        BigInteger d = new BigInteger(1, data);
        if (d.signum() == 0 || d.compareTo(DOMAIN.getN()) >= 0) {
            throw new ProtocolViolationException("Secp256k1 private key is out of range");
        }
        return new Private(new ECPrivateKeyParameters(d, DOMAIN));
    }

    private static EcPubKey newPublic(ECPublicKeyParameters key) {
        return new EcPubKey(KeyType.SECP256K1, "Secp256k1", key, key.getQ().getEncoded(true));
    }

    /** A Secp256k1 private key; its data is d, 32 bytes big-endian. */
    static final class Private extends EcPrivKey {
        Private(ECPrivateKeyParameters key) {
            super(KeyType.SECP256K1, "Secp256k1", key, newPublic(EcdsaSignatures.publicKeyOf(key)));
        }

        @Override
        public byte[] marshal() {
            byte[] d = BigIntegers.asUnsignedByteArray(PRIVATE_BYTES, key().getD());
            return KeyProto.marshalPrivate(KeyType.SECP256K1, d);
        }
    }
}
