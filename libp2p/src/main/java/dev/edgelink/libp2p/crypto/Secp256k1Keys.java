package dev.edgelink.libp2p.crypto;

import dev.edgelink.libp2p.ProtocolViolationException;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
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
            return new Public(new ECPublicKeyParameters(point, DOMAIN));
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

    /** A Secp256k1 public key. */
    static final class Public implements PubKey {
        private final ECPublicKeyParameters key;
        private final byte[] raw;

        Public(ECPublicKeyParameters key) {
            this.key = key;
            this.raw = key.getQ().getEncoded(true);
        }

        @Override
        public KeyType type() {
            return KeyType.SECP256K1;
        }

        @Override
        public byte[] raw() {
            return raw.clone();
        }

        @Override
        public boolean verify(byte[] data, byte[] signature) {
            return EcdsaSignatures.verify(key, data, signature);
        }

        @Override
        public byte[] marshal() {
            return KeyProto.marshalPublic(KeyType.SECP256K1, raw);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Public other && Arrays.equals(raw, other.raw);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(raw);
        }

        @Override
        public String toString() {
            return "Secp256k1PublicKey[" + HexFormat.of().formatHex(raw) + "]";
        }
    }

    /** A Secp256k1 private key. */
    static final class Private implements PrivKey {
        private final ECPrivateKeyParameters key;
        private final Public publicKey;

        Private(ECPrivateKeyParameters key) {
            this.key = key;
            this.publicKey = new Public(new ECPublicKeyParameters(DOMAIN.getG().multiply(key.getD()).normalize(),
                    DOMAIN));
        }

        @Override
        public KeyType type() {
            return KeyType.SECP256K1;
        }

        @Override
        public PubKey publicKey() {
            return publicKey;
        }

        @Override
        public byte[] sign(byte[] data) {
            return EcdsaSignatures.sign(key, data);
        }

        @Override
        public byte[] marshal() {
            byte[] d = BigIntegers.asUnsignedByteArray(PRIVATE_BYTES, key.getD());
            return KeyProto.marshalPrivate(KeyType.SECP256K1, d);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Private other && MessageDigest.isEqual(
                    key.getD().toByteArray(), other.key.getD().toByteArray());
        }

        @Override
        public int hashCode() {
            return publicKey.hashCode();
        }

        @Override
        public String toString() {
            return "Secp256k1PrivateKey[public=" + publicKey + "]";
        }
    }
}
