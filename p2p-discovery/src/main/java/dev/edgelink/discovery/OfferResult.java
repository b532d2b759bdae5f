package dev.edgelink.discovery;

import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link MembershipStore} did with an offered record.
 *
 * @param status accepted, stale (not newer than what the store holds) or rejected
 * @param reason why it was rejected; empty unless {@code status} is {@link Status#REJECTED}
 * @param detail a human sentence: what was wrong (the same text the store logged)
 */
public record OfferResult(Status status, Optional<RejectReason> reason, String detail) {

    /** The outcome kinds. */
    public enum Status {
        /** The record is new or newer and is now held. */
        ACCEPTED,
        /** The store already holds this peer's record with an equal or higher sequence. */
        STALE,
        /** The record failed a check; {@link #reason()} says which. */
        REJECTED
    }

    private static final OfferResult ACCEPTED = new OfferResult(Status.ACCEPTED, Optional.empty(), "accepted");

    public OfferResult {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(reason, "reason");
        if (reason.isPresent() != (status == Status.REJECTED)) {
            throw new IllegalArgumentException("a reason goes with REJECTED and only with it");
        }
    }

    public static OfferResult accepted() {
        return ACCEPTED;
    }

    public static OfferResult stale(String detail) {
        return new OfferResult(Status.STALE, Optional.empty(), detail);
    }

    public static OfferResult rejected(RejectReason reason, String detail) {
        return new OfferResult(Status.REJECTED, Optional.of(reason), detail);
    }

    public boolean isAccepted() {
        return status == Status.ACCEPTED;
    }
}
