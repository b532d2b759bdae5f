package dev.edgelink.libp2p.crypto;

import dev.edgelink.libp2p.InternalException;
import dev.edgelink.libp2p.ProtocolViolationException;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;

/**
 * ECDSA as libp2p uses it for Secp256k1 and ECDSA keys: SHA-256 of the data, signature as DER.
 *
 * <pre>
 *  SEQUENCE {            30 len
 *    r INTEGER,          02 len r   (1 .. n-1)
 *    s INTEGER           02 len s   (1 .. n-1)
 *  }
 * </pre>
 *
 * Signing is deterministic (RFC 6979) and yields the low-S form (s &lt;= n/2) that Bitcoin's BIP 62 calls standard;
 * verification accepts either S, as go-libp2p does.
 */
final class EcdsaSignatures {

    private EcdsaSignatures() {
    }

    static byte[] sign(ECPrivateKeyParameters key, byte[] data) {
        ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
        signer.init(true, key);
        BigInteger[] rs = signer.generateSignature(sha256(data));
        BigInteger n = key.getParameters().getN();
        BigInteger s = rs[1].compareTo(n.shiftRight(1)) > 0 ? n.subtract(rs[1]) : rs[1];
        return Der.encode(new DERSequence(new ASN1Integer[] {new ASN1Integer(rs[0]), new ASN1Integer(s)}));
    }

    /** The public key of {@code key}: d times the generator, on the same (possibly named) domain. */
    static ECPublicKeyParameters publicKeyOf(ECPrivateKeyParameters key) {
        ECDomainParameters domain = key.getParameters();
        return new ECPublicKeyParameters(domain.getG().multiply(key.getD()).normalize(), domain);
    }

    static boolean verify(ECPublicKeyParameters key, byte[] data, byte[] signature) {
        BigInteger[] rs = parse(signature, key.getParameters().getN());
        if (rs == null) {
            return false;
        }
        ECDSASigner verifier = new ECDSASigner();
        verifier.init(false, key);
        return verifier.verifySignature(sha256(data), rs[0], rs[1]);
    }

    /** r and s, or null if the signature is not a strict DER pair of integers in range. */
    private static BigInteger[] parse(byte[] signature, BigInteger n) {
        ASN1Primitive object;
        try {
            object = Der.parse(signature, "signature");
        } catch (ProtocolViolationException e) {
            return null;
        }
        if (!(object instanceof ASN1Sequence sequence) || sequence.size() != 2
                || !(sequence.getObjectAt(0) instanceof ASN1Integer r)
                || !(sequence.getObjectAt(1) instanceof ASN1Integer s)) {
            return null;
        }
        BigInteger[] rs = {r.getValue(), s.getValue()};
        for (BigInteger value : rs) {
            if (value.signum() <= 0 || value.compareTo(n) >= 0) {
                return null;
            }
        }
        return rs;
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new InternalException("SHA-256 is missing from this JVM", e);
        }
    }
}
