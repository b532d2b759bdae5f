package dev.edgelink.libp2p.multistream;

import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The multistream-select 1.0 exchange as a pure state machine: it is fed decoded messages and answers with the
 * bytes to send. No I/O, so every transition is testable without sockets.
 *
 * <pre>
 *   dialer                                   listener
 *   AWAIT_HEADER  -- header, proposal 1 -->  AWAIT_HEADER
 *                 <-- header ------------    AWAIT_PROPOSAL
 *   AWAIT_ANSWER  <-- "na" | proposal 1 --   (ls: the list; unknown: "na")
 *     "na": next proposal, or FAILED when none is left
 *     echo:  SELECTED                        SELECTED
 * </pre>
 *
 * The dialer pipelines its header with the first proposal (one round trip when the first choice is taken).
 */
public final class MultistreamNegotiation {

    public enum State { AWAIT_HEADER, AWAIT_PROPOSAL, AWAIT_ANSWER, SELECTED }

    /** Default cap on proposals a listener answers with "na" before it gives up on the remote. */
    public static final int DEFAULT_MAX_ATTEMPTS = 32;

    private static final byte[] NOTHING = new byte[0];

    private final boolean dialer;
    private final List<String> proposals;
    private final Predicate<String> supported;
    private final Supplier<List<String>> listing;
    private final int maxAttempts;
    private State state = State.AWAIT_HEADER;
    private int next;
    private int attempts;
    private String selected;

    private MultistreamNegotiation(boolean dialer, List<String> proposals, Predicate<String> supported,
            Supplier<List<String>> listing, int maxAttempts) {
        this.dialer = dialer;
        this.proposals = proposals;
        this.supported = supported;
        this.listing = listing;
        this.maxAttempts = maxAttempts;
    }

    /** A dialer that proposes {@code protocols} in order of preference. */
    public static MultistreamNegotiation dialer(List<String> protocols) {
        if (protocols.isEmpty()) {
            throw new IllegalArgumentException("no protocols to propose");
        }
        return new MultistreamNegotiation(true, List.copyOf(protocols), p -> false, List::of, 0);
    }

    /** A listener that accepts what {@code supported} accepts and lists {@code listing} on {@code ls}. */
    public static MultistreamNegotiation listener(Predicate<String> supported, Supplier<List<String>> listing,
            int maxAttempts) {
        return new MultistreamNegotiation(false, List.of(), supported, listing, maxAttempts);
    }

    /** What to send first: the header (and for a dialer, its first proposal). */
    public byte[] start() {
        if (dialer) {
            return MultistreamCodec.encodeAll(List.of(MultistreamCodec.HEADER, proposals.get(next)));
        }
        return MultistreamCodec.encode(MultistreamCodec.HEADER);
    }

    /**
     * Consumes one decoded message and returns the bytes to send in answer (possibly none).
     *
     * @throws UnsupportedProtocolException when the remote refused every proposal
     * @throws ProtocolViolationException when the message is out of place
     */
    public byte[] onMessage(String message) {
        switch (state) {
            case AWAIT_HEADER:
                if (!MultistreamCodec.HEADER.equals(message)) {
                    throw new ProtocolViolationException("multistream: expected header " + MultistreamCodec.HEADER
                            + ", got '" + MultistreamCodec.printable(message) + "'");
                }
                state = dialer ? State.AWAIT_ANSWER : State.AWAIT_PROPOSAL;
                return NOTHING;
            case AWAIT_ANSWER:
                return onAnswer(message);
            case AWAIT_PROPOSAL:
                return onProposal(message);
            default:
                throw new ProtocolViolationException("multistream: message after selection: '"
                        + MultistreamCodec.printable(message) + "'");
        }
    }

    private byte[] onAnswer(String message) {
        String proposed = proposals.get(next);
        if (proposed.equals(message)) {
            selected = proposed;
            state = State.SELECTED;
            return NOTHING;
        }
        if (!MultistreamCodec.NA.equals(message)) {
            throw new ProtocolViolationException("multistream: proposed " + proposed + ", remote answered '"
                    + MultistreamCodec.printable(message) + "'");
        }
        next++;
        if (next == proposals.size()) {
            throw new UnsupportedProtocolException(proposals);
        }
        return MultistreamCodec.encode(proposals.get(next));
    }

    private byte[] onProposal(String message) {
        if (MultistreamCodec.LS.equals(message)) {
            return MultistreamCodec.encodeList(new ArrayList<>(listing.get()));
        }
        if (supported.test(message)) {
            selected = message;
            state = State.SELECTED;
            return MultistreamCodec.encode(message);
        }
        attempts++;
        if (attempts > maxAttempts) {
            throw new LimitExceededException("multistream proposals refused", maxAttempts, attempts);
        }
        return MultistreamCodec.encode(MultistreamCodec.NA);
    }

    public State state() {
        return state;
    }

    public boolean isDialer() {
        return dialer;
    }

    /** The protocol both sides agreed on, or null before {@link State#SELECTED}. */
    public String selected() {
        return selected;
    }
}
