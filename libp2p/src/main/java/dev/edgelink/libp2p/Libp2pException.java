package dev.edgelink.libp2p;

/**
 * Root of the one exception hierarchy of the libp2p module. Every failure falls into exactly one of four kinds,
 * so callers can decide what to do without parsing messages:
 *
 * <ul>
 *   <li>{@link ProtocolViolationException}: the remote peer broke a protocol (bad bytes, bad signature,
 *       over a limit). Close that connection or stream; the peer is at fault.</li>
 *   <li>{@link TransportException}: the network failed (refused, timed out, reset). Retry may help.</li>
 *   <li>{@link ConfigurationException}: our own configuration is wrong. Retrying will not help; the message
 *       says what to change.</li>
 *   <li>{@link InternalException}: a bug in this code. Report it.</li>
 * </ul>
 */
public abstract class Libp2pException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    protected Libp2pException(String message) {
        super(message);
    }

    protected Libp2pException(String message, Throwable cause) {
        super(message, cause);
    }
}
