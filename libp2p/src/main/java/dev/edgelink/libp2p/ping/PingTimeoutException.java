package dev.edgelink.libp2p.ping;

import dev.edgelink.libp2p.TransportException;
import java.time.Duration;

/** A ping went unanswered for its whole timeout: the connection carried nothing back in that time. */
public final class PingTimeoutException extends TransportException {
    private static final long serialVersionUID = 1L;

    public PingTimeoutException(Duration timeout) {
        super("ping: no answer within " + timeout.toMillis() + " ms");
    }
}
