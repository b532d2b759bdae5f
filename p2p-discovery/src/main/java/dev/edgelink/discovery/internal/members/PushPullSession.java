package dev.edgelink.discovery.internal.members;

import dev.edgelink.discovery.SignedRecord;
import dev.edgelink.discovery.trust.Fingerprint;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.peer.PeerId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The state machine of one push-pull exchange, without sockets: messages in, messages out. See
 * {@link MembersCodec} for the three messages. Not thread-safe: one stream drives it from its event loop.
 *
 * <p>What is sent is computed from the other side's digest: every record we hold whose peer is missing from it or
 * listed there with a lower sequence. When that does not fit the limits, the rest waits for the next round. The
 * same goes for the CAs' revocation lists. Each side says in its digest message how large a reply it accepts
 * ({@link Local#acceptBytes()}: what the records it holds need, not a fixed maximum), and the other fits its
 * records into that.
 */
public final class PushPullSession {

    /** Which end of the stream we are. */
    public enum Role { INITIATOR, RESPONDER }

    /** Where the exchange stands. */
    public enum State {
        /** Initiator, before {@link #start()}. */
        NEW,
        /** Initiator: our digest is sent; waiting for the responder's digest and records (message 2). */
        AWAIT_REPLY,
        /** Responder: waiting for the initiator's digest (message 1). */
        AWAIT_DIGEST,
        /** Responder: our digest and records are sent; waiting for the initiator's records (message 3). */
        AWAIT_RECORDS,
        /** Both sides have what the other offered. */
        DONE
    }

    /** Our side of the view. */
    public interface Local {
        Map<PeerId, Long> digest();

        Optional<SignedRecord> record(PeerId peer);

        /** (CA fingerprint, sequence) of the revocation lists we hold. */
        Map<Fingerprint, Long> revocationDigest();

        /** The encoded revocation list we hold for a CA. */
        Optional<byte[]> revocation(Fingerprint ca);

        /**
         * What the remote sent in one message: revocation lists first (so that records they revoke are refused),
         * then records. Verification and the verdicts are the store's; it may happen later, off the event loop.
         */
        void offer(List<byte[]> revocations, List<byte[]> records);

        /** The largest message we accept from the remote (it grows with the records we hold). */
        int acceptBytes();
    }

    /** What to do after a message: send {@code reply} if present, then half-close if {@code closeWrite}. */
    public record Step(Optional<Exchange> reply, boolean closeWrite) {
    }

    /** Upper bound of an encoded digest entry: tags and lengths, a peer id of up to 42 + 2 bytes, a varint. */
    static final int DIGEST_ENTRY_BYTES = 64;
    /** Bytes of a message that are not digest, records or revocation lists (tags, the reply size). */
    static final int MESSAGE_OVERHEAD_BYTES = 64;

    private final Role role;
    private final Local local;
    private final MembersCodec.Limits limits;
    private State state;
    private int received;
    private int sent;

    public PushPullSession(Role role, Local local, MembersCodec.Limits limits) {
        this.role = role;
        this.local = local;
        this.limits = limits;
        this.state = role == Role.INITIATOR ? State.NEW : State.AWAIT_DIGEST;
    }

    /** Initiator only: the first message. */
    public Exchange start() {
        if (state != State.NEW) {
            throw new IllegalStateException("start() in state " + state);
        }
        state = State.AWAIT_REPLY;
        return new Exchange(boundedDigest(), List.of(), local.revocationDigest(), List.of(), local.acceptBytes());
    }

    /** Our digest, cut to the limit if the store holds more (the remote then sends some records we have). */
    private Map<PeerId, Long> boundedDigest() {
        Map<PeerId, Long> digest = local.digest();
        if (digest.size() <= limits.maxDigestEntries()) {
            return digest;
        }
        Map<PeerId, Long> cut = new HashMap<>();
        for (Map.Entry<PeerId, Long> e : digest.entrySet()) {
            if (cut.size() == limits.maxDigestEntries()) {
                break;
            }
            cut.put(e.getKey(), e.getValue());
        }
        return cut;
    }

    /** @throws ProtocolViolationException if the message is not the one this state expects */
    public Step onMessage(Exchange message) {
        switch (state) {
            case AWAIT_DIGEST -> {
                if (!message.records().isEmpty() || !message.revocations().isEmpty()) {
                    throw new ProtocolViolationException("members: the initiator's first message carries records");
                }
                state = State.AWAIT_RECORDS;
                Map<PeerId, Long> ours = boundedDigest();
                Map<Fingerprint, Long> ourLists = local.revocationDigest();
                long budget = replyBudget(message) - (long) DIGEST_ENTRY_BYTES * ours.size()
                        - (long) DIGEST_ENTRY_BYTES * ourLists.size();
                List<byte[]> lists = listsMissingFrom(message.revocationDigest(), budget);
                budget -= bytes(lists);
                return new Step(Optional.of(new Exchange(ours, missingFrom(message.digest(), budget),
                        ourLists, lists, local.acceptBytes())), true);
            }
            case AWAIT_REPLY -> {
                offerAll(message);
                state = State.DONE;
                long budget = replyBudget(message);
                List<byte[]> lists = listsMissingFrom(message.revocationDigest(), budget);
                budget -= bytes(lists);
                return new Step(Optional.of(new Exchange(Map.of(), missingFrom(message.digest(), budget), Map.of(),
                        lists, 0)), true);
            }
            case AWAIT_RECORDS -> {
                if (!message.digest().isEmpty() || !message.revocationDigest().isEmpty()) {
                    throw new ProtocolViolationException("members: the initiator's last message carries a digest");
                }
                offerAll(message);
                state = State.DONE;
                return new Step(Optional.empty(), false);
            }
            default -> throw new ProtocolViolationException("members: unexpected message in state " + state);
        }
    }

    /** What the remote accepts in reply (at most our own limit), less the message's fixed bytes. */
    private long replyBudget(Exchange message) {
        int theirs = message.maxReplyBytes() == 0 ? limits.maxMessageBytes() : message.maxReplyBytes();
        return Math.min(theirs, limits.maxMessageBytes()) - MESSAGE_OVERHEAD_BYTES;
    }

    private void offerAll(Exchange message) {
        received += message.records().size();
        if (!message.records().isEmpty() || !message.revocations().isEmpty()) {
            local.offer(message.revocations(), message.records());
        }
    }

    /** Revocation lists the remote lacks or holds older, as far as the budget goes. */
    private List<byte[]> listsMissingFrom(Map<Fingerprint, Long> theirs, long budget) {
        List<byte[]> out = new ArrayList<>();
        long left = budget;
        for (Map.Entry<Fingerprint, Long> mine : local.revocationDigest().entrySet()) {
            Long their = theirs.get(mine.getKey());
            if (their != null && their >= mine.getValue()) {
                continue;
            }
            Optional<byte[]> list = local.revocation(mine.getKey());
            if (list.isPresent() && MembersCodec.recordOverhead(list.get().length) <= left) {
                left -= MembersCodec.recordOverhead(list.get().length);
                out.add(list.get());
            }
        }
        return out;
    }

    private static long bytes(List<byte[]> items) {
        long n = 0;
        for (byte[] b : items) {
            n += MembersCodec.recordOverhead(b.length);
        }
        return n;
    }

    /** Records the remote lacks or holds older, as many as the limits and {@code budget} bytes allow. */
    private List<byte[]> missingFrom(Map<PeerId, Long> theirs, long budget) {
        List<byte[]> out = new ArrayList<>();
        long left = budget;
        for (Map.Entry<PeerId, Long> mine : local.digest().entrySet()) {
            Long their = theirs.get(mine.getKey());
            if (their != null && their >= mine.getValue()) {
                continue;
            }
            Optional<SignedRecord> record = local.record(mine.getKey());
            if (record.isEmpty()) {
                continue;
            }
            int cost = MembersCodec.recordOverhead(record.get().envelopeSize());
            if (out.size() == limits.maxRecords() || cost > left) {
                break;
            }
            left -= cost;
            out.add(record.get().envelope());
        }
        sent += out.size();
        return out;
    }

    public Role role() {
        return role;
    }

    public State state() {
        return state;
    }

    /** Records received from the remote so far. */
    public int received() {
        return received;
    }

    /** Records sent to the remote so far. */
    public int sent() {
        return sent;
    }
}
