package dev.edgelink.discovery;

/**
 * Changes of the membership view. Called synchronously by the store, in the order the changes happen, with the
 * store's lock held: implementations must be quick and must not block (hand work to an executor); they may read
 * the store. The local node appears here too, like every other member; compare peer ids to skip it.
 */
public interface MembershipListener {

    /** A node became a live member (first record, or back after it had left or expired). */
    default void joined(SignedRecord record) {
    }

    /** A live member published a newer record; {@code previous} is the one it replaces. */
    default void updated(SignedRecord previous, SignedRecord current) {
    }

    /**
     * A member left the view. {@code last} is its last live record (what routes were built from), not the leaving
     * record, so that whatever was set up for it can be torn down.
     */
    default void left(SignedRecord last, DepartureReason reason) {
    }
}
