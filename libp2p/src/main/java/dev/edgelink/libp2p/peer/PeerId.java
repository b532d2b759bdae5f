package dev.edgelink.libp2p.peer;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PubKey;
import dev.edgelink.libp2p.encoding.Base58;
import dev.edgelink.libp2p.encoding.Multibase;
import dev.edgelink.libp2p.encoding.Multihash;
import dev.edgelink.libp2p.encoding.Varint;
import java.util.Arrays;
import java.util.Optional;

/**
 * The identity of a libp2p peer: a multihash of its marshalled public key (peer-id spec).
 *
 * <pre>
 *  marshalled PublicKey &lt;= 42 bytes (Ed25519, Secp256k1):
 *  +------+--------+------------------------------+
 *  | 0x00 | length | PublicKey protobuf (inline)  |   identity multihash, base58 "12D3KooW..." / "16Uiu2..."
 *  +------+--------+------------------------------+
 *  marshalled PublicKey &gt; 42 bytes (RSA, ECDSA):
 *  +------+------+--------------------------------+
 *  | 0x12 | 0x20 | SHA-256 of PublicKey protobuf  |   sha2-256 multihash, base58 "Qm..."
 *  +------+------+--------------------------------+
 *
 *  text, CIDv1:  multibase prefix ('b' = base32) + base32( varint 1 | varint 0x72 libp2p-key | multihash )
 * </pre>
 *
 * <p>Immutable; equality, hash and order are those of the multihash bytes. {@link #toString()} is the canonical
 * base58btc form.
 */
public final class PeerId implements Comparable<PeerId> {

    /** A marshalled public key up to this size is inlined in the peer id instead of hashed. */
    public static final int MAX_INLINE_KEY_BYTES = 42;
    /** Multicodec of libp2p public keys, the codec of a peer id written as a CID. */
    public static final int LIBP2P_KEY_CODEC = 0x72;
    /** CID version of the CID form; version 0 CIDs are plain base58 multihashes. */
    private static final int CID_VERSION = 1;

    private final byte[] bytes;
    private final PubKey inlineKey;

    private PeerId(byte[] bytes, PubKey inlineKey) {
        this.bytes = bytes;
        this.inlineKey = inlineKey;
    }

    /** The peer id of {@code key}: identity multihash if its marshalled form is at most 42 bytes, else sha2-256. */
    public static PeerId fromPublicKey(PubKey key) {
        byte[] marshalled = key.marshal();
        if (marshalled.length <= MAX_INLINE_KEY_BYTES) {
            return new PeerId(Multihash.identity(marshalled).encode(), key);
        }
        return new PeerId(Multihash.sha256(marshalled).encode(), null);
    }

    /**
     * Decodes the binary form, as carried in multiaddrs, records and protocol messages.
     *
     * @throws ProtocolViolationException if it is not a valid identity or sha2-256 multihash, an inlined key is
     *     longer than {@value #MAX_INLINE_KEY_BYTES} bytes, or an inlined key is not a valid public key
     */
    public static PeerId fromBytes(byte[] bytes) {
        Multihash multihash = Multihash.decode(bytes);
        if (multihash.code() == Multihash.SHA2_256) {
            return new PeerId(bytes.clone(), null);
        }
        byte[] inlined = multihash.digest();
        if (inlined.length > MAX_INLINE_KEY_BYTES) {
            throw new LimitExceededException("peer id inline key bytes", MAX_INLINE_KEY_BYTES, inlined.length);
        }
        PubKey key;
        try {
            key = Keys.unmarshalPublicKey(inlined);
        } catch (ProtocolViolationException e) {
            throw new ProtocolViolationException("identity peer id does not hold a valid public key: "
                    + e.getMessage(), e);
        }
        return new PeerId(bytes.clone(), key);
    }

    /**
     * Parses the text form: legacy base58btc ({@code 12D3KooW...}, {@code Qm...}, {@code 16Uiu2...}) or a CIDv1
     * with the libp2p-key codec in multibase ({@code b}/{@code B} base32, {@code z} base58btc, {@code f} base16,
     * {@code u} base64url).
     *
     * @throws ConfigurationException naming the text and what is wrong with it
     */
    public static PeerId fromString(String text) {
        try {
            if (text.startsWith("1") || text.startsWith("Qm")) {
                return fromBytes(Base58.decode(text));
            }
            if (text.isEmpty()) {
                throw new ConfigurationException("it is empty");
            }
            return fromCid(Multibase.decode(text));
        } catch (ConfigurationException | ProtocolViolationException e) {
            throw new ConfigurationException("invalid peer id '" + text + "': " + e.getMessage()
                    + " (expected base58btc like 12D3KooW... or Qm..., or a CIDv1 like bafz...)", e);
        }
    }

    private static PeerId fromCid(byte[] cid) {
        Varint.Decoded version = Varint.decode(cid, 0);
        if (version.value() != CID_VERSION) {
            throw new ConfigurationException("CID version " + version.value() + " is not 1");
        }
        Varint.Decoded codec = Varint.decode(cid, version.length());
        if (codec.value() != LIBP2P_KEY_CODEC) {
            throw new ConfigurationException("CID codec 0x" + Long.toHexString(codec.value())
                    + " is not libp2p-key (0x72)");
        }
        return fromBytes(Arrays.copyOfRange(cid, version.length() + codec.length(), cid.length));
    }

    /** The binary form: the multihash bytes. */
    public byte[] toBytes() {
        return bytes.clone();
    }

    /** The canonical text form, base58btc of the multihash. */
    public String toBase58() {
        return Base58.encode(bytes);
    }

    /** The CIDv1 text form: base32 multibase ({@code b...}) of version 1, codec libp2p-key, multihash. */
    public String toCid() {
        byte[] cid = new byte[2 + bytes.length];
        cid[0] = CID_VERSION;
        cid[1] = LIBP2P_KEY_CODEC;
        System.arraycopy(bytes, 0, cid, 2, bytes.length);
        return Multibase.encodeBase32(cid);
    }

    /** The public key inlined in an identity peer id; empty for a hashed one (the key must come from the peer). */
    public Optional<PubKey> publicKey() {
        return Optional.ofNullable(inlineKey);
    }

    /** Whether {@code key} is the key this peer id was derived from. */
    public boolean matches(PubKey key) {
        return equals(fromPublicKey(key));
    }

    @Override
    public int compareTo(PeerId other) {
        return Arrays.compareUnsigned(bytes, other.bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PeerId other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return toBase58();
    }
}
