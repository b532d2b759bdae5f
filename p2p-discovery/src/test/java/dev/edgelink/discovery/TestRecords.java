package dev.edgelink.discovery;

import com.google.protobuf.ByteString;
import dev.edgelink.discovery.internal.pb.NodeRecordProto;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.peer.PeerId;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** Keys and records for tests; times are fixed numbers, never the wall clock. */
public final class TestRecords {

    /** RFC 8032 test 1: secret key (seed) and public key, so the codec vectors can be checked by any Ed25519. */
    public static final String RFC8032_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    public static final String RFC8032_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    /** A fixed instant (2023-11-14T22:13:20Z) that records in tests are issued at. */
    public static final long T0 = 1_700_000_000_000L;
    public static final long TTL = 60_000L;

    private TestRecords() {
    }

    /** The RFC 8032 test-1 key as a libp2p private key. */
    public static PrivKey fixedKey() {
        byte[] data = HexFormat.of().parseHex(RFC8032_SEED + RFC8032_PUBLIC);
        byte[] marshalled = new byte[4 + data.length];
        marshalled[0] = 0x08;
        marshalled[1] = 0x01;
        marshalled[2] = 0x12;
        marshalled[3] = (byte) data.length;
        System.arraycopy(data, 0, marshalled, 4, data.length);
        return Keys.unmarshalPrivateKey(marshalled);
    }

    public static PeerId peerOf(PrivKey key) {
        return PeerId.fromPublicKey(key.publicKey());
    }

    /** A live record issued at {@link #T0} for {@link #TTL} with one pod CIDR. */
    public static NodeRecord.Builder record(PrivKey key, String name, String podCidr, long seq) {
        NodeRecord.Builder b = NodeRecord.builder(name, peerOf(key))
                .sequence(seq)
                .issuedAtMillis(T0)
                .expiresAtMillis(T0 + TTL)
                .tunnel(TunnelCapability.USERSPACE);
        if (podCidr != null) {
            b.podCidr(podCidr);
        }
        return b;
    }

    public static SignedRecord signed(PrivKey key, String name, String podCidr, long seq) {
        return NodeRecords.sign(key, record(key, name, podCidr, seq).build());
    }

    /** An envelope assembled by hand: any key bytes, any record bytes, signed by {@code signer}. */
    public static byte[] envelope(byte[] publicKey, byte[] record, PrivKey signer) {
        byte[] domain = NodeRecords.DOMAIN.getBytes(StandardCharsets.US_ASCII);
        byte[] payload = new byte[domain.length + record.length];
        System.arraycopy(domain, 0, payload, 0, domain.length);
        System.arraycopy(record, 0, payload, domain.length, record.length);
        return NodeRecordProto.SignedNodeRecord.newBuilder()
                .setPublicKey(ByteString.copyFrom(publicKey))
                .setRecord(ByteString.copyFrom(record))
                .setSignature(ByteString.copyFrom(signer.sign(payload)))
                .build().toByteArray();
    }

    /** The protobuf of a valid record, to be broken by the caller. */
    public static NodeRecordProto.NodeRecord.Builder rawRecord(PrivKey key) {
        return NodeRecordProto.NodeRecord.newBuilder()
                .setNodeName("node-a")
                .setPeerId(ByteString.copyFrom(peerOf(key).toBytes()))
                .addPodCidrs("10.244.1.0/24")
                .setSeq(1)
                .setIssuedAtMs(T0)
                .setExpiresAtMs(T0 + TTL);
    }
}
