package dev.edgelink.libp2p.crypto;

import dev.edgelink.libp2p.InternalException;
import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import java.io.IOException;
import java.math.BigInteger;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.CryptoException;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.crypto.params.RSAPrivateCrtKeyParameters;
import org.bouncycastle.crypto.signers.RSADigestSigner;

/**
 * RSA keys. Signatures are RSASSA-PKCS1-v1_5 with SHA-256. Moduli from {@value #MIN_BITS} to {@value #MAX_BITS}
 * bits are accepted, the bounds go-libp2p enforces: smaller keys are forgeable, larger ones make a remote spend our
 * CPU on every verification.
 *
 * <pre>
 *  public (Data): PKIX SubjectPublicKeyInfo, DER
 *    SEQUENCE { SEQUENCE { OID rsaEncryption 1.2.840.113549.1.1.1, NULL },
 *               BIT STRING { SEQUENCE { INTEGER n, INTEGER e } } }
 *  private (Data): PKCS #1 RSAPrivateKey, DER
 *    SEQUENCE { INTEGER 0, n, e, d, p, q, d mod (p-1), d mod (q-1), q^-1 mod p }
 * </pre>
 */
final class RsaKeys {

    /** Smallest accepted modulus. */
    static final int MIN_BITS = 2048;
    /** Largest accepted modulus. */
    static final int MAX_BITS = 8192;

    private RsaKeys() {
    }

    static PubKey publicFromRaw(byte[] raw) {
        ASN1Primitive der = Der.parse(raw, "RSA public key");
        RSAPublicKey rsa;
        try {
            SubjectPublicKeyInfo info = SubjectPublicKeyInfo.getInstance(der);
            if (!PKCSObjectIdentifiers.rsaEncryption.equals(info.getAlgorithm().getAlgorithm())) {
                throw new ProtocolViolationException("RSA public key has algorithm "
                        + info.getAlgorithm().getAlgorithm() + ", expected rsaEncryption");
            }
            rsa = RSAPublicKey.getInstance(info.parsePublicKey());
        } catch (IllegalArgumentException | IOException e) {
            throw new ProtocolViolationException("RSA public key is not a PKIX SubjectPublicKeyInfo", e);
        }
        requireSize(rsa.getModulus());
        try {
            return new Public(new RSAKeyParameters(false, rsa.getModulus(), rsa.getPublicExponent()));
        } catch (IllegalArgumentException e) {
            throw new ProtocolViolationException("RSA public key is invalid: " + e.getMessage(), e);
        }
    }

    static PrivKey privateFromData(byte[] data) {
        ASN1Primitive der = Der.parse(data, "RSA private key");
        RSAPrivateKey rsa;
        try {
            rsa = RSAPrivateKey.getInstance(der);
        } catch (IllegalArgumentException e) {
            throw new ProtocolViolationException("RSA private key is not a PKCS #1 RSAPrivateKey", e);
        }
        requireSize(rsa.getModulus());
        try {
            return new Private(new RSAPrivateCrtKeyParameters(rsa.getModulus(), rsa.getPublicExponent(),
                    rsa.getPrivateExponent(), rsa.getPrime1(), rsa.getPrime2(), rsa.getExponent1(),
                    rsa.getExponent2(), rsa.getCoefficient()));
        } catch (IllegalArgumentException e) {
            throw new ProtocolViolationException("RSA private key is invalid: " + e.getMessage(), e);
        }
    }

    static void requireSize(BigInteger modulus) {
        int bits = modulus.bitLength();
        if (bits < MIN_BITS) {
            throw new ProtocolViolationException("RSA key of " + bits + " bits is too small: at least " + MIN_BITS
                    + " bits are required");
        }
        if (bits > MAX_BITS) {
            throw new LimitExceededException("RSA key bits", MAX_BITS, bits);
        }
    }

    private static byte[] encodePublic(RSAKeyParameters key) {
        AlgorithmIdentifier algorithm = new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE);
        byte[] rsaPublicKey = Der.encode(new RSAPublicKey(key.getModulus(), key.getExponent()));
        return Der.encode(new SubjectPublicKeyInfo(algorithm, rsaPublicKey));
    }

    /** An RSA public key. */
    static final class Public extends AbstractPubKey {
        private final RSAKeyParameters key;

        Public(RSAKeyParameters key) {
            super(KeyType.RSA, "Rsa", encodePublic(key));
            this.key = key;
        }

        @Override
        public boolean verify(byte[] data, byte[] signature) {
            RSADigestSigner verifier = new RSADigestSigner(new SHA256Digest());
            verifier.init(false, key);
            verifier.update(data, 0, data.length);
            return verifier.verifySignature(signature);
        }

        /** The modulus size only: the raw form runs to hundreds of bytes. */
        @Override
        public String toString() {
            return "RsaPublicKey[" + key.getModulus().bitLength() + " bits]";
        }
    }

    /** An RSA private key. */
    static final class Private extends AbstractPrivKey {
        private final RSAPrivateCrtKeyParameters key;

        Private(RSAPrivateCrtKeyParameters key) {
            super(KeyType.RSA, "Rsa",
                    new Public(new RSAKeyParameters(false, key.getModulus(), key.getPublicExponent())));
            this.key = key;
        }

        @Override
        public byte[] sign(byte[] data) {
            RSADigestSigner signer = new RSADigestSigner(new SHA256Digest());
            signer.init(true, key);
            signer.update(data, 0, data.length);
            try {
                return signer.generateSignature();
            } catch (CryptoException e) {
                throw new InternalException("RSA signing failed", e);
            }
        }

        @Override
        public byte[] marshal() {
            RSAPrivateKey der = new RSAPrivateKey(key.getModulus(), key.getPublicExponent(), key.getExponent(),
                    key.getP(), key.getQ(), key.getDP(), key.getDQ(), key.getQInv());
            return KeyProto.marshalPrivate(KeyType.RSA, Der.encode(der));
        }
    }
}
