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
 * Frames of {@code /edgelink/members/2.0.0} and {@code /edgelink/members/push/2.0.0}: each message is a uvarint
 * length and an {@code Exchange} protobuf (members.proto).
 *
 * <pre>
 *  +-----------------+------------------------------------------------------------+
 *  | length (varint) | Exchange protobuf (length bytes, at most maxMessageBytes)   |
 *  +-----------------+------------------------------------------------------------+
 *  Exchange: 0x0a RangeSummary{0x08 depth, 0x10 prefix, 0x18 count, 0x21 hash(fixed64)} ...
 *            0x12 RangeItems{0x08 depth, 0x10 prefix, 0x1a DigestEntry{0x0a peer_id, 0x10 seq} ...} ...
 *            0x1a announce DigestEntry ...   0x22 want peer id ...   0x2a SignedNodeRecord envelope ...
 *            0x32 RevocationDigestEntry ...  0x3a revocation list ...  0x40 max_reply_bytes  0x48 more
 *
 *  sync, in turns until a message expects no reply          push
 *  initiator                         responder             pusher                       receiver
 *     | -- summary of the root, revocations --> |             | -- announce (peer, seq) --> |
 *     | <-- sub-range summaries / items ------- |             | <-- want ------------------ |
 *     | -- items / want / announce -----------> |             | -- records ---------------> |
 *     | <-- want / announce / records (more) -- |
 *     | -- want / records --------------------> |
 *     | <-- records --------------------------> |  FIN
 * </pre>
 *
 * <p>Pure: no I/O, no logging. A frame over a limit is a {@link LimitExceededException}, a malformed one a
 * {@link ProtocolViolationException}. Record envelopes are passed through as bytes; verifying them is the store's.
 * Whether items lie in their range and what a message may carry in which turn is the session's to check.
 */
public final class MembersCodec {

    /** Revocation lists in one message: one per trusted CA, and a CA rotation has two. */
    public static final int MAX_REVOCATION_LISTS = 8;
    /** Upper bound of an encoded (peer id, sequence) entry in a list: tags, lengths, a peer id of 44, a varint. */
    public static final int ENTRY_BYTES = 64;
    /** Upper bound of an encoded range summary in the message. */
    public static final int SUMMARY_BYTES = 32;
    /** Upper bound of an encoded items listing without its entries. */
    public static final int ITEMS_BYTES = 24;
    /** Upper bound of an encoded want (a peer id). */
    public static final int WANT_BYTES = 48;
    /** Bytes of a message that are none of the above (the reply size, the more flag). */
    public static final int MESSAGE_OVERHEAD_BYTES = 64;

    private MembersCodec() {
    }

    /**
     * The limits a receiver enforces (and a sender respects).
     *
     * @param maxMessageBytes the largest message
     * @param maxEntries range summaries, listed entries (all listings together), announced entries and wants, each
     * @param maxRecords record envelopes
     */
    public record Limits(int maxMessageBytes, int maxEntries, int maxRecords) {
    }

    public static byte[] encode(Exchange exchange) {
        MembersProto.Exchange.Builder b = MembersProto.Exchange.newBuilder();
        for (Exchange.Summary s : exchange.ranges()) {
            b.addRanges(MembersProto.RangeSummary.newBuilder().setDepth(s.range().depth())
                    .setPrefix(s.range().prefix()).setCount(s.count()).setHash(s.hash()));
        }
        for (Exchange.Items i : exchange.items()) {
            MembersProto.RangeItems.Builder ib = MembersProto.RangeItems.newBuilder().setDepth(i.range().depth())
                    .setPrefix(i.range().prefix());
            i.entries().forEach(e -> ib.addEntries(entry(e)));
            b.addItems(ib);
        }
        exchange.announce().forEach(e -> b.addAnnounce(entry(e)));
        exchange.want().forEach(p -> b.addWant(ByteString.copyFrom(p.toBytes())));
        exchange.records().forEach(r -> b.addRecords(ByteString.copyFrom(r)));
        exchange.revocationDigest().entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> b.addRevocationDigest(MembersProto.RevocationDigestEntry.newBuilder()
                        .setCaFingerprint(ByteString.copyFrom(e.getKey().bytes()))
                        .setSequence(e.getValue())));
        exchange.revocations().forEach(r -> b.addRevocations(ByteString.copyFrom(r)));
        b.setMaxReplyBytes(exchange.maxReplyBytes());
        b.setMore(exchange.more());
        byte[] body = b.build().toByteArray();
        byte[] frame = new byte[Varint.encodedLength(body.length) + body.length];
        int offset = Varint.write(body.length, frame, 0);
        System.arraycopy(body, 0, frame, offset, body.length);
        return frame;
    }

    private static MembersProto.DigestEntry entry(Exchange.Entry e) {
        return MembersProto.DigestEntry.newBuilder().setPeerId(ByteString.copyFrom(e.peer().toBytes()))
                .setSeq(e.seq()).build();
    }

    /** Bytes a record or revocation list adds to an encoded message (tag, length, envelope). */
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
        checkCounts(pb, limits);
        Exchange.Builder b = Exchange.builder();
        for (MembersProto.RangeSummary s : pb.getRangesList()) {
            b.range(new Exchange.Summary(range(s.getDepth(), s.getPrefix()), s.getCount(), s.getHash()));
        }
        for (MembersProto.RangeItems i : pb.getItemsList()) {
            List<Exchange.Entry> entries = new ArrayList<>(i.getEntriesCount());
            i.getEntriesList().forEach(e -> entries.add(entry(e, "items")));
            b.items(new Exchange.Items(range(i.getDepth(), i.getPrefix()), entries));
        }
        pb.getAnnounceList().forEach(e -> b.announce(entry(e, "announce")));
        pb.getWantList().forEach(p -> b.want(peer(p, "want")));
        pb.getRecordsList().forEach(r -> b.record(r.toByteArray()));
        b.revocationDigest(revocationDigest(pb.getRevocationDigestList()));
        pb.getRevocationsList().forEach(r -> b.revocation(r.toByteArray()));
        return b.maxReplyBytes(Math.max(0, pb.getMaxReplyBytes())).more(pb.getMore()).build();
    }

    private static void checkCounts(MembersProto.Exchange pb, Limits limits) {
        long listed = 0;
        for (MembersProto.RangeItems i : pb.getItemsList()) {
            listed += i.getEntriesCount();
        }
        long entries = Math.max(Math.max(pb.getRangesCount(), pb.getItemsCount() + listed),
                Math.max(pb.getAnnounceCount(), pb.getWantCount()));
        if (entries > limits.maxEntries()) {
            throw new LimitExceededException("members entries per message", limits.maxEntries(), entries);
        }
        if (pb.getRecordsCount() > limits.maxRecords()) {
            throw new LimitExceededException("members records per message", limits.maxRecords(),
                    pb.getRecordsCount());
        }
        if (pb.getRevocationDigestCount() > MAX_REVOCATION_LISTS || pb.getRevocationsCount() > MAX_REVOCATION_LISTS) {
            throw new LimitExceededException("members revocation lists", MAX_REVOCATION_LISTS,
                    Math.max(pb.getRevocationDigestCount(), pb.getRevocationsCount()));
        }
    }

    private static KeyRange range(int depth, long prefix) {
        if (!KeyRange.isValid(depth, prefix)) {
            throw new ProtocolViolationException("members: no key range of depth " + depth + " and prefix "
                    + Long.toHexString(prefix));
        }
        return new KeyRange(depth, prefix);
    }

    private static Exchange.Entry entry(MembersProto.DigestEntry e, String where) {
        if (e.getSeq() < 0) {
            throw new ProtocolViolationException("members: sequence out of range in " + where);
        }
        return new Exchange.Entry(peer(e.getPeerId(), where), e.getSeq());
    }

    private static PeerId peer(ByteString bytes, String where) {
        try {
            return PeerId.fromBytes(bytes.toByteArray());
        } catch (ProtocolViolationException ex) {
            throw new ProtocolViolationException("members: invalid peer id in " + where + ": " + ex.getMessage(), ex);
        }
    }

    private static Map<Fingerprint, Long> revocationDigest(List<MembersProto.RevocationDigestEntry> list) {
        Map<Fingerprint, Long> digest = new HashMap<>();
        for (MembersProto.RevocationDigestEntry e : list) {
            if (e.getCaFingerprint().size() != Fingerprint.BYTES || e.getSequence() < 0) {
                throw new ProtocolViolationException("members: revocation digest entry is malformed");
            }
            Fingerprint ca = Fingerprint.fromBytes(e.getCaFingerprint().toByteArray());
            if (digest.put(ca, e.getSequence()) != null) {
                throw new ProtocolViolationException("members: revocation digest entry is repeated");
            }
        }
        return digest;
    }
}
