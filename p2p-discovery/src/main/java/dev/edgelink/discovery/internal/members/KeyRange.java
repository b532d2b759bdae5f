package dev.edgelink.discovery.internal.members;

/**
 * A range of record keys (64-bit, unsigned): those that begin with the {@code depth} nibbles {@code prefix}. The
 * root (depth 0) holds every key; each range splits into {@link #FANOUT} children one nibble deeper, down to
 * {@link #MAX_DEPTH}, where a range is a single key.
 */
public record KeyRange(int depth, long prefix) {

    /** Nibbles in a key. */
    public static final int MAX_DEPTH = 16;
    /** Children of a range. */
    public static final int FANOUT = 16;
    public static final KeyRange ROOT = new KeyRange(0, 0);

    public KeyRange {
        if (!isValid(depth, prefix)) {
            throw new IllegalArgumentException("no key range of depth " + depth + " and prefix " + prefix);
        }
    }

    /** Whether {@code prefix} has no bits beyond its {@code depth} nibbles. */
    public static boolean isValid(int depth, long prefix) {
        if (depth < 0 || depth > MAX_DEPTH) {
            return false;
        }
        return depth == MAX_DEPTH || prefix >>> (4 * depth) == 0;
    }

    public boolean contains(long key) {
        return depth == 0 || key >>> (64 - 4 * depth) == prefix;
    }

    /** The child that continues with {@code nibble} (0..15). */
    public KeyRange child(int nibble) {
        if (depth == MAX_DEPTH || nibble < 0 || nibble >= FANOUT) {
            throw new IllegalArgumentException("no child " + nibble + " of " + this);
        }
        return new KeyRange(depth + 1, prefix << 4 | nibble);
    }

    /** The lowest key in the range (unsigned). */
    public long first() {
        return depth == 0 ? 0 : prefix << (64 - 4 * depth);
    }

    /** The highest key in the range (unsigned), inclusive. */
    public long last() {
        if (depth == MAX_DEPTH) {
            return prefix;
        }
        return first() | -1L >>> (4 * depth);
    }

    @Override
    public String toString() {
        return depth == 0 ? "*" : String.format("%0" + depth + "x*", prefix);
    }
}
