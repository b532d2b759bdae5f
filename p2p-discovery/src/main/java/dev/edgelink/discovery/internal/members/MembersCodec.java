package dev.edgelink.discovery.internal.members;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.edgelink.discovery.internal.pb.MembersProto;
import dev.edgelink.discovery.trust.Fingerprint;
import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.encoding.Varint;
import dev.edgelink.libp2p.peer.PeerId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Frames of {@code /edgelink/members/1.0.0}: each message is a uvarint length and an {@code Exchange} protobuf.
 *
 * <pre>
 *  +-----------------+------------------------------------------------------------+
 *  | length (varint) | Exchange protobuf (length bytes, at most maxMessageBytes)   |
 *  +-----------------+------------------------------------------------------------+
 *  Exchange: 0x0a DigestEntry{0x0a peer_id, 0x10 seq} ...   0x12 SignedNodeRecord envelope ...
 *
 *  initiator                                  responder
 *     | -- 1: digest (everything we hold) ------> |
 *     | <-- 2: digest + records you lack -------- |  FIN
 *     | -- 3: records you lack -----------------> |  FIN
 * </pre>
 *
 * <p>Pure: no I/O, no logging. A frame over a limit is a {@link LimitExceededException}, a malformed one a
 * {@link ProtocolViolationException}. Record envelopes are passed through as bytes; verifying them is the store's.
 */
public final class MembersCodec {

    /** Revocation lists in one message: one per trusted CA, and a CA rotation has two. */
    public static final int MAX_REVOCATION_LISTS = 8;

    private MembersCodec() {
    }

    /** The limits a receiver enforces (and a sender respects). */
    public record Limits(int maxMessageBytes, int maxDigestEntries, int maxRecords) {
    }

    public static byte[] encode(Exchange exchange) {
        MembersProto.Exchange.Builder b = MembersProto.Exchange.newBuilder();
        exchange.digest().entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> b.addDigest(MembersProto.DigestEntry.newBuilder()
                        .setPeerId(ByteString.copyFrom(e.getKey().toBytes()))
                        .setSeq(e.getValue())));
        exchange.records().forEach(r -> b.addRecords(ByteString.copyFrom(r)));
        exchange.revocationDigest().entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> b.addRevocationDigest(MembersProto.RevocationDigestEntry.newBuilder()
                        .setCaFingerprint(ByteString.copyFrom(e.getKey().bytes()))
                        .setSequence(e.getValue())));
        exchange.revocations().forEach(r -> b.addRevocations(ByteString.copyFrom(r)));
        b.setMaxReplyBytes(exchange.maxReplyBytes());
        byte[] body = b.build().toByteArray();
        byte[] frame = new byte[Varint.encodedLength(body.length) + body.length];
        int offset = Varint.write(body.length, frame, 0);
        System.arraycopy(body, 0, frame, offset, body.length);
        return frame;
    }

    /** Bytes a record adds to an encoded message (tag, length, envelope). */
    public static int recordOverhead(int envelopeSize) {
        return 1 + Varint.encodedLength(envelopeSize) + envelopeSize;
    }

    /**
     * Decodes the next whole frame in {@code in}, or returns null (reader index unchanged) if it has not fully
     * arrived yet.
     */
    public static Exchange decode(ByteBuf in, Limits limits) {
        int start = in.readerIndex();
        long length = Varint.read(in);
        if (length == Varint.INCOMPLETE) {
            return null;
        }
        if (length > limits.maxMessageBytes()) {
            throw new LimitExceededException("members message bytes", limits.maxMessageBytes(), length);
        }
        if (in.readableBytes() < length) {
            in.readerIndex(start);
            return null;
        }
        byte[] body = ByteBufUtil.getBytes(in, in.readerIndex(), (int) length);
        in.skipBytes((int) length);
        return parse(body, limits);
    }

    private static Exchange parse(byte[] body, Limits limits) {
        MembersProto.Exchange pb;
        try {
            pb = MembersProto.Exchange.parseFrom(body);
        } catch (InvalidProtocolBufferException e) {
            throw new ProtocolViolationException("members: malformed Exchange protobuf: " + e.getMessage(), e);
        }
        if (pb.getDigestCount() > limits.maxDigestEntries()) {
            throw new LimitExceededException("members digest entries", limits.maxDigestEntries(),
                    pb.getDigestCount());
        }
        if (pb.getRecordsCount() > limits.maxRecords()) {
            throw new LimitExceededException("members records per message", limits.maxRecords(),
                    pb.getRecordsCount());
        }
        Map<PeerId, Long> digest = new HashMap<>();
        for (MembersProto.DigestEntry e : pb.getDigestList()) {
            PeerId peer;
            try {
                peer = PeerId.fromBytes(e.getPeerId().toByteArray());
            } catch (ProtocolViolationException ex) {
                throw new ProtocolViolationException("members: invalid peer id in digest: " + ex.getMessage(), ex);
            }
            if (e.getSeq() < 0 || digest.put(peer, e.getSeq()) != null) {
                throw new ProtocolViolationException("members: digest entry for " + peer
                        + " is repeated or out of range");
            }
        }
        List<byte[]> records = new ArrayList<>(pb.getRecordsCount());
        pb.getRecordsList().forEach(r -> records.add(r.toByteArray()));
        if (pb.getRevocationDigestCount() > MAX_REVOCATION_LISTS || pb.getRevocationsCount() > MAX_REVOCATION_LISTS) {
            throw new LimitExceededException("members revocation lists", MAX_REVOCATION_LISTS,
                    Math.max(pb.getRevocationDigestCount(), pb.getRevocationsCount()));
        }
        Map<Fingerprint, Long> revocationDigest = new HashMap<>();
        for (MembersProto.RevocationDigestEntry e : pb.getRevocationDigestList()) {
            if (e.getCaFingerprint().size() != Fingerprint.BYTES || e.getSequence() < 0) {
                throw new ProtocolViolationException("members: revocation digest entry is malformed");
            }
            Fingerprint ca = Fingerprint.fromBytes(e.getCaFingerprint().toByteArray());
            if (revocationDigest.put(ca, e.getSequence()) != null) {
                throw new ProtocolViolationException("members: revocation digest entry is repeated");
            }
        }
        List<byte[]> revocations = new ArrayList<>(pb.getRevocationsCount());
        pb.getRevocationsList().forEach(r -> revocations.add(r.toByteArray()));
        return new Exchange(digest, records, revocationDigest, revocations, pb.getMaxReplyBytes() < 0 ? 0
                : pb.getMaxReplyBytes());
    }
}
