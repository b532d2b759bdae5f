package dev.edgelink.libp2p;

/**
 * A configured limit (frame size, line length, streams, window, buffered bytes) was exceeded. The message
 * names the limit and its value, so an operator knows which setting to look at.
 */
public class LimitExceededException extends ProtocolViolationException {
    private static final long serialVersionUID = 1L;

    public LimitExceededException(String limit, long allowed, long actual) {
        super(limit + " exceeded: " + actual + " > " + allowed);
    }

    public LimitExceededException(String message) {
        super(message);
    }
}
