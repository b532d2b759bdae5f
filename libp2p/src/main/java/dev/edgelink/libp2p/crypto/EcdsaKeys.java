package dev.edgelink.libp2p.crypto;

import dev.edgelink.libp2p.ProtocolViolationException;
import java.math.BigInteger;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;

/**
 * ECDSA keys on the NIST curves (P-256 is what libp2p implementations generate; P-384 and P-521 are read too, as
 * go-libp2p accepts them). Signatures are ECDSA over SHA-256 of the data, DER-encoded.
 *
 * <pre>
 *  public (Data): PKIX SubjectPublicKeyInfo, DER
 *    SEQUENCE { SEQUENCE { OID id-ecPublicKey 1.2.840.10045.2.1, OID named curve }, BIT STRING 04 || x || y }
 *  private (Data): SEC 1 ECPrivateKey, DER (the form go-libp2p writes)
 *    SEQUENCE { INTEGER 1, OCTET STRING d, [0] OID named curve, [1] BIT STRING public point }
 * </pre>
 */
final class EcdsaKeys {

    private static final ASN1ObjectIdentifier[] CURVES = {
        SECObjectIdentifiers.secp256r1, SECObjectIdentifiers.secp384r1, SECObjectIdentifiers.secp521r1,
    };

    private EcdsaKeys() {
    }

    static PubKey publicFromRaw(byte[] raw) {
        ASN1Primitive der = Der.parse(raw, "ECDSA public key");
        SubjectPublicKeyInfo info;
        try {
            info = SubjectPublicKeyInfo.getInstance(der);
        } catch (IllegalArgumentException e) {
            throw new ProtocolViolationException("ECDSA public key is not a PKIX SubjectPublicKeyInfo", e);
        }
        AlgorithmIdentifier algorithm = info.getAlgorithm();
        if (!X9ObjectIdentifiers.id_ecPublicKey.equals(algorithm.getAlgorithm())) {
            throw new ProtocolViolationException("ECDSA public key has algorithm " + algorithm.getAlgorithm()
                    + ", expected id-ecPublicKey");
        }
        ECNamedDomainParameters domain = domain(algorithm.getParameters());
        try {
            byte[] point = info.getPublicKeyData().getOctets();
            return newPublic(new ECPublicKeyParameters(domain.getCurve().decodePoint(point), domain));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ProtocolViolationException("ECDSA public key is not a valid point on its curve", e);
        }
    }

    static PrivKey privateFromData(byte[] data) {
        ASN1Primitive der = Der.parse(data, "ECDSA private key");
        ECPrivateKey sec1;
        try {
            sec1 = ECPrivateKey.getInstance(der);
        } catch (IllegalArgumentException e) {
            throw new ProtocolViolationException("ECDSA private key is not a SEC 1 ECPrivateKey", e);
        }
        ECNamedDomainParameters domain = domain(sec1.getParametersObject());
        BigInteger d = sec1.getKey();
        if (d.signum() <= 0 || d.compareTo(domain.getN()) >= 0) {
            throw new ProtocolViolationException("ECDSA private key is out of range for its curve");
        }
        return new Private(new ECPrivateKeyParameters(d, domain));
    }

    private static ECNamedDomainParameters domain(Object parameters) {
        if (!(parameters instanceof ASN1ObjectIdentifier oid) || !Arrays.asList(CURVES).contains(oid)) {
            throw new ProtocolViolationException("ECDSA key must name the curve P-256, P-384 or P-521, got "
                    + parameters);
        }
        return new ECNamedDomainParameters(oid, ECNamedCurveTable.getByOID(oid));
    }

    private static byte[] encodePublic(ECPublicKeyParameters key) {
        ECNamedDomainParameters domain = (ECNamedDomainParameters) key.getParameters();
        AlgorithmIdentifier algorithm = new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, domain.getName());
        return Der.encode(new SubjectPublicKeyInfo(algorithm, key.getQ().getEncoded(false)));
    }

    private static EcPubKey newPublic(ECPublicKeyParameters key) {
        return new EcPubKey(KeyType.ECDSA, "Ecdsa", key, encodePublic(key));
    }

    /** An ECDSA private key; its data is the SEC 1 form above. */
    static final class Private extends EcPrivKey {
        Private(ECPrivateKeyParameters key) {
            super(KeyType.ECDSA, "Ecdsa", key, newPublic(EcdsaSignatures.publicKeyOf(key)));
        }

        @Override
        public byte[] marshal() {
            ECNamedDomainParameters domain = (ECNamedDomainParameters) key().getParameters();
            DERBitString point = new DERBitString(((EcPubKey) publicKey()).key().getQ().getEncoded(false));
            ECPrivateKey sec1 = new ECPrivateKey(domain.getN().bitLength(), key().getD(), point, domain.getName());
            return KeyProto.marshalPrivate(KeyType.ECDSA, Der.encode(sec1));
        }
    }
}
