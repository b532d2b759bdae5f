package dev.edgelink.discovery.internal.members;

import dev.edgelink.discovery.SignedRecord;
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
 * listed there with a lower sequence. When that does not fit the limits, the rest waits for the next round.
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

        /** A record the remote sent; verification and the verdict are the store's. */
        void offer(byte[] envelope);
    }

    /** What to do after a message: send {@code reply} if present, then half-close if {@code closeWrite}. */
    public record Step(Optional<Exchange> reply, boolean closeWrite) {
    }

    /** Upper bound of an encoded digest entry: tags and lengths, a peer id of up to 42 + 2 bytes, a varint. */
    static final int DIGEST_ENTRY_BYTES = 64;

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
        return Exchange.digestOnly(boundedDigest());
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
                if (!message.records().isEmpty()) {
                    throw new ProtocolViolationException("members: the initiator's first message carries records");
                }
                state = State.AWAIT_RECORDS;
                Map<PeerId, Long> ours = boundedDigest();
                long digestBytes = (long) DIGEST_ENTRY_BYTES * ours.size();
                return new Step(Optional.of(new Exchange(ours, missingFrom(message.digest(), digestBytes))), true);
            }
            case AWAIT_REPLY -> {
                offerAll(message.records());
                state = State.DONE;
                return new Step(Optional.of(Exchange.recordsOnly(missingFrom(message.digest(), 0))), true);
            }
            case AWAIT_RECORDS -> {
                if (!message.digest().isEmpty()) {
                    throw new ProtocolViolationException("members: the initiator's last message carries a digest");
                }
                offerAll(message.records());
                state = State.DONE;
                return new Step(Optional.empty(), false);
            }
            default -> throw new ProtocolViolationException("members: unexpected message in state " + state);
        }
    }

    private void offerAll(List<byte[]> records) {
        received += records.size();
        records.forEach(local::offer);
    }

    /** Records the remote lacks or holds older, as many as the limits allow. */
    private List<byte[]> missingFrom(Map<PeerId, Long> theirs, long reserved) {
        List<byte[]> out = new ArrayList<>();
        long budget = limits.maxMessageBytes() - reserved;
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
            if (out.size() == limits.maxRecords() || cost > budget) {
                break;
            }
            budget -= cost;
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
