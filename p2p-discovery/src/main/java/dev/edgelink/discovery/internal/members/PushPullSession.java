package dev.edgelink.discovery.internal.members;

import dev.edgelink.discovery.SignedRecord;
import dev.edgelink.discovery.trust.Fingerprint;
import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.peer.PeerId;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The state machine of one members exchange, without sockets: messages in, messages out, in turns. See
 * {@link MembersCodec} for the wire. Not thread-safe: one stream drives it from its event loop.
 *
 * <p>A {@link Kind#SYNC} exchange is range-based set reconciliation. The initiator sends the summary (count and
 * hash, {@link ViewIndex}) of its whole view. Each side answers every summary that differs from its own: with its
 * {@value #LEAF_ENTRIES} or fewer records in that range listed whole, or, when it holds more, with the summaries of
 * the range's {@value KeyRange#FANOUT} sub-ranges. A listing is answered with wants (records the receiver lacks or
 * holds older) and an announcement of the records the lister lacks, which it wants in turn; wants are answered with
 * the records. Two views in step cost one summary each way, whatever their size; d differing records cost about
 * log16(N / {@value #LEAF_ENTRIES}) round trips of O(d) summaries. A {@link Kind#PUSH} exchange spreads records that
 * are new: the pusher announces (peer, sequence), the receiver wants what it lacks, the pusher sends it.
 *
 * <p>A record crosses only when its receiver asked for it, and it asks only for what no other exchange is
 * fetching ({@link Local#claim}): a node that syncs with two members at once, or hears of a record from three
 * pushers, receives each record once.
 *
 * <p>Everything to send waits in queues and goes out as far as the message size the remote accepts allows (its
 * {@code max_reply_bytes}); what is left is marked {@code more}, and the remote answers even with nothing to say,
 * so that a first sync of thousands of records is paged over as many turns as it needs. Each side sends a record
 * and asks for a peer at most once per exchange, so the turns end. The exchange ends with a message that expects no
 * reply; a remote that keeps it going is cut at {@link #maxMessages()} messages (and by the caller's timeout).
 */
public final class PushPullSession {

    /** Which end of the stream we are. */
    public enum Role { INITIATOR, RESPONDER }

    /** Reconciling whole views, or spreading a few new records. */
    public enum Kind { SYNC, PUSH }

    /** Where the exchange stands. */
    public enum State {
        /** Initiator, before {@link #start()}. */
        NEW,
        /** Waiting for the remote's next message. */
        AWAIT,
        /** Neither side has more to say. */
        DONE
    }

    /** Our side of the view. */
    public interface Local {
        /** The records held now, indexed by key. */
        ViewIndex index();

        Optional<SignedRecord> record(PeerId peer);

        /** (CA fingerprint, sequence) of the revocation lists we hold. */
        Map<Fingerprint, Long> revocationDigest();

        /** The encoded revocation list we hold for a CA. */
        Optional<byte[]> revocation(Fingerprint ca);

        /**
         * What the remote sent in one message: revocation lists first (so that records they revoke are refused),
         * then records. Completes when they have been verified and offered to the store; until then the session's
         * next reply waits, so a remote sends no faster than we verify.
         */
        CompletableFuture<Void> offer(List<byte[]> revocations, List<byte[]> records);

        /**
         * Whether to ask the remote for {@code peer}'s record at {@code seq}: we hold none as new, and no other
         * exchange is fetching it. A true answer claims it for this exchange until the caller releases it.
         */
        boolean claim(PeerId peer, long seq);
    }

    /**
     * What to do after a message: send {@code reply} if present, once {@code offered} (the records it carried) has
     * completed; the exchange is over when {@code done} (after the reply, if any).
     */
    public record Step(Optional<Exchange> reply, boolean done, CompletableFuture<Void> offered) {
    }

    /** A side lists a differing range whole when it holds at most this many records in it. */
    public static final int LEAF_ENTRIES = 16;
    /** The smallest message size a member may say it accepts: room for the largest record and the rest. */
    public static final int MIN_ACCEPT_BYTES = 16 * 1024;

    private final Role role;
    private final Kind kind;
    private final Local local;
    private final MembersCodec.Limits limits;
    private final List<Exchange.Entry> announce;
    private State state;
    private int messages;
    private int received;
    private int sent;
    /** What the remote accepts per message; 0 until its first message said. */
    private int remoteAccept;
    private boolean digestDue;
    private final Deque<PeerId> wants = new ArrayDeque<>();
    private final Set<PeerId> wanted = new HashSet<>();
    private final Deque<KeyRange> summaries = new ArrayDeque<>();
    private final Deque<KeyRange> listings = new ArrayDeque<>();
    private final Deque<Exchange.Entry> announcements = new ArrayDeque<>();
    private final Set<PeerId> announced = new HashSet<>();
    private final Deque<PeerId> outRecords = new ArrayDeque<>();
    private final Set<PeerId> queuedRecords = new HashSet<>();
    private final Deque<Fingerprint> outLists = new ArrayDeque<>();
    private final Set<Fingerprint> queuedLists = new HashSet<>();

    private PushPullSession(Role role, Kind kind, Local local, MembersCodec.Limits limits,
            List<Exchange.Entry> announce) {
        this.role = role;
        this.kind = kind;
        this.local = local;
        this.limits = limits;
        this.announce = List.copyOf(announce);
        this.state = role == Role.INITIATOR ? State.NEW : State.AWAIT;
    }

    /** Our end of a sync exchange. */
    public static PushPullSession sync(Role role, Local local, MembersCodec.Limits limits) {
        return new PushPullSession(role, Kind.SYNC, local, limits, List.of());
    }

    /** The pusher's end of a push: it announces {@code announce} (at most {@code limits.maxEntries()}). */
    public static PushPullSession pusher(Local local, MembersCodec.Limits limits, List<Exchange.Entry> announce) {
        if (announce.isEmpty() || announce.size() > limits.maxEntries()) {
            throw new IllegalArgumentException("a push announces 1.." + limits.maxEntries() + " records, not "
                    + announce.size());
        }
        return new PushPullSession(Role.INITIATOR, Kind.PUSH, local, limits, announce);
    }

    /** The receiving end of a push. */
    public static PushPullSession pushed(Local local, MembersCodec.Limits limits) {
        return new PushPullSession(Role.RESPONDER, Kind.PUSH, local, limits, List.of());
    }

    /**
     * Messages an exchange may take before it is cut: the descent (two per level) and a first sync paged in the
     * smallest pages a remote may ask for, with room to spare.
     */
    public int maxMessages() {
        return 64 + limits.maxRecords() / 8;
    }

    /** Initiator only: the first message. */
    public Exchange start() {
        if (state != State.NEW) {
            throw new IllegalStateException("start() in state " + state);
        }
        state = State.AWAIT;
        Exchange.Builder b = Exchange.builder().maxReplyBytes(limits.maxMessageBytes());
        if (kind == Kind.PUSH) {
            announce.forEach(b::announce);
        } else {
            b.range(local.index().summary(KeyRange.ROOT)).revocationDigest(local.revocationDigest());
        }
        return b.build();
    }

    /** @throws ProtocolViolationException if the message is not one this state expects */
    public Step onMessage(Exchange message) {
        if (state != State.AWAIT) {
            throw new ProtocolViolationException("members: unexpected message in state " + state);
        }
        if (++messages > maxMessages()) {
            throw new LimitExceededException("members messages per exchange", maxMessages(), messages);
        }
        boolean first = remoteAccept == 0;
        check(message, first);
        if (first) {
            int said = message.maxReplyBytes();
            if (said != 0 && said < MIN_ACCEPT_BYTES) {
                throw new ProtocolViolationException("members: the remote accepts " + said + " bytes per message, "
                        + "less than the " + MIN_ACCEPT_BYTES + " every member must");
            }
            remoteAccept = said == 0 ? limits.maxMessageBytes() : Math.min(said, limits.maxMessageBytes());
        }
        CompletableFuture<Void> offered = CompletableFuture.completedFuture(null);
        if (!message.records().isEmpty() || !message.revocations().isEmpty()) {
            received += message.records().size();
            offered = local.offer(message.revocations(), message.records());
        }
        onRevocationDigest(message.revocationDigest(), first);
        for (PeerId p : message.want()) {
            queueRecord(p);
        }
        for (Exchange.Entry e : message.announce()) {
            queueWant(e.peer(), e.seq());
        }
        ViewIndex index = local.index();
        message.ranges().forEach(s -> onSummary(index, s));
        message.items().forEach(i -> onItems(index, i));
        if (!message.expectsReply() && !hasQueued()) {
            state = State.DONE;
            return new Step(Optional.empty(), true, offered);
        }
        Exchange reply = reply(index);
        // The remote answers a reply that expects one, and sends again if it said it has more: our reply adds
        // nothing to its queues, since a message that does not expect a reply carries only records and lists.
        if (!reply.expectsReply() && !message.more()) {
            state = State.DONE;
        }
        return new Step(Optional.of(reply), state == State.DONE, offered);
    }

    private boolean hasQueued() {
        return !(wants.isEmpty() && summaries.isEmpty() && listings.isEmpty() && announcements.isEmpty()
                && outRecords.isEmpty() && outLists.isEmpty());
    }

    /** What a message may carry in this kind of exchange and at this turn. */
    private void check(Exchange m, boolean first) {
        if (kind == Kind.PUSH && (!m.ranges().isEmpty() || !m.items().isEmpty())) {
            throw new ProtocolViolationException("members: a push carries ranges");
        }
        boolean initiatorsFirst = role == Role.RESPONDER && first;
        if (kind == Kind.PUSH && !m.announce().isEmpty() && !initiatorsFirst) {
            throw new ProtocolViolationException("members: an announcement after the pusher's first message");
        }
        if (!m.revocationDigest().isEmpty() && !first) {
            throw new ProtocolViolationException("members: a revocation digest after the first message");
        }
        if (initiatorsFirst && (!m.records().isEmpty() || !m.revocations().isEmpty() || !m.want().isEmpty()
                || !m.items().isEmpty() || kind == Kind.SYNC && !m.announce().isEmpty())) {
            throw new ProtocolViolationException("members: the initiator's first message carries records or wants");
        }
        if (initiatorsFirst && (kind == Kind.SYNC ? m.ranges().isEmpty() : m.announce().isEmpty())) {
            throw new ProtocolViolationException("members: the initiator's first message offers nothing to compare");
        }
    }

    private void onRevocationDigest(Map<Fingerprint, Long> theirs, boolean first) {
        Map<Fingerprint, Long> ours = local.revocationDigest();
        for (Map.Entry<Fingerprint, Long> mine : ours.entrySet()) {
            Long their = theirs.get(mine.getKey());
            if ((their == null || their < mine.getValue()) && queuedLists.add(mine.getKey())) {
                outLists.add(mine.getKey());
            }
        }
        if (first && role == Role.RESPONDER) {
            for (Map.Entry<Fingerprint, Long> their : theirs.entrySet()) {
                Long mine = ours.get(their.getKey());
                digestDue |= mine == null || mine < their.getValue();
            }
        }
    }

    private void onSummary(ViewIndex index, Exchange.Summary theirs) {
        KeyRange range = theirs.range();
        Exchange.Summary ours = index.summary(range);
        if (ours.count() == theirs.count() && ours.hash() == theirs.hash()) {
            return;
        }
        if (theirs.count() == 0) {
            index.entries(range).forEach(this::queueAnnounce);
        } else if (ours.count() <= LEAF_ENTRIES || range.depth() == KeyRange.MAX_DEPTH) {
            listings.add(range);
        } else {
            for (int nibble = 0; nibble < KeyRange.FANOUT; nibble++) {
                summaries.add(range.child(nibble));
            }
        }
    }

    private void onItems(ViewIndex index, Exchange.Items theirs) {
        Map<PeerId, Long> listed = new HashMap<>();
        for (Exchange.Entry e : theirs.entries()) {
            if (!theirs.range().contains(index.keyOf(e.peer()))) {
                throw new ProtocolViolationException("members: listed peer " + e.peer() + " is outside range "
                        + theirs.range());
            }
            if (listed.put(e.peer(), e.seq()) != null) {
                throw new ProtocolViolationException("members: peer " + e.peer() + " listed twice");
            }
        }
        Map<PeerId, Long> ours = new HashMap<>();
        for (Exchange.Entry mine : index.entries(theirs.range())) {
            ours.put(mine.peer(), mine.seq());
            Long their = listed.get(mine.peer());
            if (their == null || their < mine.seq()) {
                queueAnnounce(mine);
            }
        }
        listed.forEach((peer, seq) -> {
            Long mine = ours.get(peer);
            if (mine == null || mine < seq) {
                queueWant(peer, seq);
            }
        });
    }

    private void queueAnnounce(Exchange.Entry entry) {
        if (announced.add(entry.peer())) {
            announcements.add(entry);
        }
    }

    private void queueRecord(PeerId peer) {
        if (queuedRecords.add(peer)) {
            outRecords.add(peer);
        }
    }

    private void queueWant(PeerId peer, long seq) {
        if (wanted.add(peer) && local.claim(peer, seq)) {
            wants.add(peer);
        }
    }

    /** Our next message: as much of the queues as the remote accepts, revocations and wants first. */
    private Exchange reply(ViewIndex index) {
        long budget = (long) remoteAccept - MembersCodec.MESSAGE_OVERHEAD_BYTES;
        Exchange.Builder b = Exchange.builder().maxReplyBytes(limits.maxMessageBytes());
        long left = budget;
        if (digestDue) {
            Map<Fingerprint, Long> digest = local.revocationDigest();
            b.revocationDigest(digest);
            left -= (long) MembersCodec.ENTRY_BYTES * digest.size();
            digestDue = false;
        }
        left = addLists(b, budget, left);
        for (int n = 0; !wants.isEmpty() && n < limits.maxEntries() && left >= MembersCodec.WANT_BYTES; n++) {
            b.want(wants.poll());
            left -= MembersCodec.WANT_BYTES;
        }
        for (int n = 0; !summaries.isEmpty() && n < limits.maxEntries() && left >= MembersCodec.SUMMARY_BYTES; n++) {
            b.range(index.summary(summaries.poll()));
            left -= MembersCodec.SUMMARY_BYTES;
        }
        int max = limits.maxEntries();
        for (int n = 0; !announcements.isEmpty() && n < max && left >= MembersCodec.ENTRY_BYTES; n++) {
            b.announce(announcements.poll());
            left -= MembersCodec.ENTRY_BYTES;
        }
        int listed = 0;
        while (!listings.isEmpty()) {
            List<Exchange.Entry> entries = index.entries(listings.peek());
            long cost = MembersCodec.ITEMS_BYTES + (long) MembersCodec.ENTRY_BYTES * entries.size();
            if (cost > budget || 1 + entries.size() > limits.maxEntries()) {
                listings.poll();
                continue;
            }
            if (cost > left || listed + 1 + entries.size() > limits.maxEntries()) {
                break;
            }
            b.items(new Exchange.Items(listings.poll(), entries));
            listed += 1 + entries.size();
            left -= cost;
        }
        addRecords(b, budget, left);
        return b.more(hasQueued()).build();
    }

    private long addLists(Exchange.Builder b, long budget, long left) {
        for (int n = 0; !outLists.isEmpty() && n < MembersCodec.MAX_REVOCATION_LISTS;) {
            Optional<byte[]> list = local.revocation(outLists.peek());
            long cost = list.map(l -> MembersCodec.recordOverhead(l.length)).orElse(0);
            if (list.isPresent() && cost <= budget && cost > left) {
                break;
            }
            outLists.poll();
            if (list.isPresent() && cost <= budget) {
                b.revocation(list.get());
                left -= cost;
                n++;
            }
        }
        return left;
    }

    /** Records in queue order; one larger than a whole message is dropped, so the queue always moves. */
    private void addRecords(Exchange.Builder b, long budget, long left) {
        for (int n = 0; !outRecords.isEmpty() && n < limits.maxRecords();) {
            Optional<SignedRecord> record = local.record(outRecords.peek());
            long cost = record.map(r -> MembersCodec.recordOverhead(r.envelopeSize())).orElse(0);
            if (record.isPresent() && cost <= budget && cost > left) {
                return;
            }
            outRecords.poll();
            if (record.isPresent() && cost <= budget) {
                b.record(record.get().envelope());
                left -= cost;
                sent++;
                n++;
            }
        }
    }

    public Role role() {
        return role;
    }

    public Kind kind() {
        return kind;
    }

    public State state() {
        return state;
    }

    /** The limits this side enforces on what it receives. */
    public MembersCodec.Limits limits() {
        return limits;
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
