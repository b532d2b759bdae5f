package dev.edgelink.discovery;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.edgelink.discovery.internal.pb.NodeRecordProto;
import dev.edgelink.discovery.internal.record.RecordCodec;
import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.crypto.PubKey;
import dev.edgelink.libp2p.peer.PeerId;
import java.nio.charset.StandardCharsets;

/**
 * The signed node record codec: pure (no I/O, no logging, no clock), it throws.
 *
 * <pre>
 *  SignedNodeRecord (protobuf, proto3)
 *  +------+-----+------------------------------+  libp2p PublicKey protobuf of the signer
 *  | 0x0a | len | public_key                   |  (Type, Data), as in the peer-id spec
 *  +------+-----+------------------------------+
 *  | 0x12 | len | record                       |  NodeRecord protobuf bytes, exactly as signed
 *  +------+-----+------------------------------+
 *  | 0x1a | len | signature                    |  sign(key, "edgelink-node-record:" || record)
 *  +------+-----+------------------------------+
 * </pre>
 *
 * <p>The domain prefix keeps a node-record signature from being valid as anything else the same key signs (Noise
 * handshake payloads, libp2p signed envelopes), and the other way round. The record carries its own peer id, and
 * verification requires it to be the id of the signing key: a member cannot publish a record for someone else.
 */
public final class NodeRecords {

    /** Signature domain, prepended to the record bytes before signing. */
    public static final String DOMAIN = "edgelink-node-record:";
    /** Largest envelope accepted. A full record (8 CIDRs, 32 + 32 addresses) stays well below it. */
    public static final int MAX_ENVELOPE_BYTES = 8 * 1024;

    private static final byte[] DOMAIN_BYTES = DOMAIN.getBytes(StandardCharsets.US_ASCII);

    private NodeRecords() {
    }

    /**
     * Signs {@code record} with {@code key}.
     *
     * @throws ConfigurationException if the record's peer id is not the key's, or a field is invalid: this is our
     *     own record, so the mistake is in our configuration
     */
    public static SignedRecord sign(PrivKey key, NodeRecord record) {
        PubKey pub = key.publicKey();
        if (!record.peerId().matches(pub)) {
            throw new ConfigurationException("node record names peer " + record.peerId()
                    + " but is signed by the key of " + PeerId.fromPublicKey(pub));
        }
        try {
            RecordCodec.check(record);
        } catch (InvalidRecordException e) {
            throw new ConfigurationException("own node record is invalid: " + e.getMessage(), e);
        }
        byte[] bytes = RecordCodec.encode(record);
        byte[] envelope = NodeRecordProto.SignedNodeRecord.newBuilder()
                .setPublicKey(ByteString.copyFrom(pub.marshal()))
                .setRecord(ByteString.copyFrom(bytes))
                .setSignature(ByteString.copyFrom(key.sign(signedPayload(bytes))))
                .build().toByteArray();
        if (envelope.length > MAX_ENVELOPE_BYTES) {
            throw new ConfigurationException("own node record is " + envelope.length + " bytes signed, more than "
                    + MAX_ENVELOPE_BYTES + "; announce fewer addresses");
        }
        return new SignedRecord(envelope, record, pub);
    }

    /**
     * Decodes and verifies a signed record as received from a peer. Checks, in order: size, envelope, public key,
     * signature, record fields, peer id against the key. Says nothing about time, sequence or conflicts with other
     * nodes: that is the {@link MembershipStore}'s part.
     *
     * @throws InvalidRecordException with the reason ({@link RejectReason#MALFORMED},
     *     {@link RejectReason#BAD_SIGNATURE}, {@link RejectReason#PEER_ID_MISMATCH}) and what was wrong
     */
    public static SignedRecord verify(byte[] envelope) {
        if (envelope.length > MAX_ENVELOPE_BYTES) {
            throw new InvalidRecordException(RejectReason.MALFORMED, "signed record is " + envelope.length
                    + " bytes, more than the limit " + MAX_ENVELOPE_BYTES);
        }
        NodeRecordProto.SignedNodeRecord pb;
        try {
            pb = NodeRecordProto.SignedNodeRecord.parseFrom(envelope);
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidRecordException(RejectReason.MALFORMED, "not a SignedNodeRecord protobuf: "
                    + e.getMessage(), e);
        }
        PubKey key;
        try {
            key = Keys.unmarshalPublicKey(pb.getPublicKey().toByteArray());
        } catch (ProtocolViolationException e) {
            throw new InvalidRecordException(RejectReason.MALFORMED, "signer public key is invalid: "
                    + e.getMessage(), e);
        }
        byte[] bytes = pb.getRecord().toByteArray();
        if (!key.verify(signedPayload(bytes), pb.getSignature().toByteArray())) {
            throw new InvalidRecordException(RejectReason.BAD_SIGNATURE, "signature does not verify under the key of "
                    + PeerId.fromPublicKey(key));
        }
        NodeRecord record = RecordCodec.decode(bytes, PeerId.fromPublicKey(key));
        if (!record.peerId().matches(key)) {
            throw new InvalidRecordException(RejectReason.PEER_ID_MISMATCH, "record of node " + record.nodeName()
                    + " names peer " + record.peerId() + " but is signed by " + PeerId.fromPublicKey(key));
        }
        return new SignedRecord(envelope.clone(), record, key);
    }

    /** Who a record is about and its sequence, as it claims before any check. */
    public record Header(PeerId peer, long sequence) {
    }

    /**
     * Reads the peer id and sequence of an envelope without verifying anything, so that a record the store
     * already holds in that sequence or newer can be skipped before its signature is checked. Empty when the
     * envelope does not even parse (verification then says why).
     */
    public static java.util.Optional<Header> peek(byte[] envelope) {
        if (envelope.length > MAX_ENVELOPE_BYTES) {
            return java.util.Optional.empty();
        }
        try {
            NodeRecordProto.SignedNodeRecord pb = NodeRecordProto.SignedNodeRecord.parseFrom(envelope);
            NodeRecordProto.NodeRecord r = NodeRecordProto.NodeRecord.parseFrom(pb.getRecord());
            return java.util.Optional.of(new Header(PeerId.fromBytes(r.getPeerId().toByteArray()), r.getSeq()));
        } catch (InvalidProtocolBufferException | dev.edgelink.libp2p.Libp2pException e) {
            return java.util.Optional.empty();
        }
    }

    private static byte[] signedPayload(byte[] record) {
        byte[] payload = new byte[DOMAIN_BYTES.length + record.length];
        System.arraycopy(DOMAIN_BYTES, 0, payload, 0, DOMAIN_BYTES.length);
        System.arraycopy(record, 0, payload, DOMAIN_BYTES.length, record.length);
        return payload;
    }
}
