package dev.edgelink.libp2p.yamux;

import dev.edgelink.libp2p.ConfigurationException;
import java.time.Duration;

/**
 * Every limit of a yamux session, each enforced in exactly one place of {@link YamuxSession} and broken with a
 * typed error that names the setting ({@code yamux.<name>}). Build with {@link #builder()}; {@link #DEFAULT} is
 * what production uses.
 *
 * <p>Memory a session can hold, with the defaults:
 * <ul>
 *   <li>inbound: bytes are held only for a stream whose reader paused (or has no listener yet); each such
 *       stream holds at most the window it granted (at most {@code maxReceiveWindow} = 16 MiB) and all of them
 *       together at most {@code maxBufferedInboundBytes} = 64 MiB, else the stream that crosses it is reset.
 *       A reading stream holds nothing: bytes go to the listener as they arrive (retained slices, no copy).</li>
 *   <li>outbound: a writer that respects {@code isWritable()} queues at most {@code streamHighWaterMark} plus its
 *       last write per stream; one that does not is reset at {@code maxStreamQueuedBytes} = 8 MiB.</li>
 *   <li>control frames (window updates, ping answers, RSTs) written while the connection is not writable are
 *       bounded by {@code maxControlBacklog} = 256 KiB; a ping flood from a peer that does not read ends
 *       there.</li>
 * </ul>
 *
 * @param maxInboundStreams streams the remote may have open at once; a SYN beyond it is answered with RST.
 *     1000, as go-yamux and js-libp2p-yamux.
 * @param maxOutboundStreams streams we may have open at once; {@code openStream} beyond it fails with
 *     {@code LimitExceededException}. 1000.
 * @param maxAckBacklog outbound streams not yet acknowledged by the remote; the libp2p yamux spec asks for at
 *     most 256.
 * @param initialReceiveWindow the window a new stream grants; the spec fixes 256 KiB as the starting point of
 *     both sides, a larger value is announced in the SYN/ACK window update.
 * @param maxReceiveWindow the window a busy stream grows to (doubling on each window update). 16 MiB, as
 *     go-yamux and js-libp2p-yamux: one stream then runs at 16 MiB per round trip, about 13 Gbit/s even at a
 *     10 ms RTT, and far more on loopback.
 * @param maxInboundFrameSize the longest DATA frame accepted by the decoder. 16 MiB = {@code maxReceiveWindow},
 *     because a peer may send a whole granted window in one frame (js-libp2p-yamux does); payloads are
 *     streamed through as they arrive, never collected, so this does not cost memory.
 * @param maxOutboundFrameSize the longest DATA payload we send. 63 KiB, so a frame and its 12-byte header fit
 *     one Noise transport message (65535 bytes with its 16-byte tag) and streams interleave finely.
 * @param streamHighWaterMark queued outbound bytes of a stream above which it reports {@code !isWritable()}.
 *     1 MiB: large enough that a writer on another thread keeps one stream above 2 Gbit/s.
 * @param streamLowWaterMark queued outbound bytes at or below which the stream is writable again. 512 KiB.
 * @param maxStreamQueuedBytes hard limit of queued outbound bytes of a stream whose writer ignores
 *     {@code isWritable()}; the stream is reset with {@code LimitExceededException}. 8 MiB.
 * @param maxBufferedInboundBytes received bytes held for all streams whose reader paused. 64 MiB.
 * @param maxControlBacklog control-frame bytes written while the connection is not writable. 256 KiB.
 * @param pingTimeout how long {@code ping()} waits for the answer. 10 s.
 * @param writeStallTimeout how long the connection may stay unwritable, while we have bytes to send, before the
 *     session is closed as stalled (a remote that stopped reading). 30 s.
 * @param goAwayTimeout after {@code goAway()} the session closes itself once no stream is left, or after this
 *     long at the latest; {@link Duration#ZERO} waits for the streams however long they take. 30 s.
 */
public record YamuxConfig(
        int maxInboundStreams,
        int maxOutboundStreams,
        int maxAckBacklog,
        int initialReceiveWindow,
        long maxReceiveWindow,
        long maxInboundFrameSize,
        int maxOutboundFrameSize,
        long streamHighWaterMark,
        long streamLowWaterMark,
        long maxStreamQueuedBytes,
        long maxBufferedInboundBytes,
        long maxControlBacklog,
        Duration pingTimeout,
        Duration writeStallTimeout,
        Duration goAwayTimeout) {

    /** The window every stream starts with, fixed by the spec. */
    public static final int SPEC_INITIAL_WINDOW = 256 * 1024;

    public static final YamuxConfig DEFAULT = builder().build();

    public YamuxConfig {
        positive("maxInboundStreams", maxInboundStreams);
        positive("maxOutboundStreams", maxOutboundStreams);
        positive("maxAckBacklog", maxAckBacklog);
        if (initialReceiveWindow < SPEC_INITIAL_WINDOW) {
            throw new ConfigurationException("yamux.initialReceiveWindow must be at least " + SPEC_INITIAL_WINDOW
                    + " (the spec's initial window), got " + initialReceiveWindow);
        }
        if (maxReceiveWindow < initialReceiveWindow || maxReceiveWindow > YamuxHeader.MAX_UINT32) {
            throw new ConfigurationException("yamux.maxReceiveWindow must be between initialReceiveWindow ("
                    + initialReceiveWindow + ") and 2^32-1, got " + maxReceiveWindow);
        }
        positive("maxInboundFrameSize", maxInboundFrameSize);
        positive("maxOutboundFrameSize", maxOutboundFrameSize);
        positive("streamLowWaterMark", streamLowWaterMark);
        if (streamHighWaterMark < streamLowWaterMark) {
            throw new ConfigurationException("yamux.streamHighWaterMark (" + streamHighWaterMark
                    + ") must not be below yamux.streamLowWaterMark (" + streamLowWaterMark + ")");
        }
        if (maxStreamQueuedBytes < streamHighWaterMark) {
            throw new ConfigurationException("yamux.maxStreamQueuedBytes (" + maxStreamQueuedBytes
                    + ") must not be below yamux.streamHighWaterMark (" + streamHighWaterMark + ")");
        }
        positive("maxBufferedInboundBytes", maxBufferedInboundBytes);
        positive("maxControlBacklog", maxControlBacklog);
        positive("pingTimeout", pingTimeout);
        positive("writeStallTimeout", writeStallTimeout);
        if (goAwayTimeout == null || goAwayTimeout.isNegative()) {
            throw new ConfigurationException("yamux.goAwayTimeout must be zero (no limit) or positive");
        }
    }

    private static void positive(String name, long value) {
        if (value <= 0) {
            throw new ConfigurationException("yamux." + name + " must be positive, got " + value);
        }
    }

    private static void positive(String name, Duration value) {
        if (value == null || value.isZero() || value.isNegative()) {
            throw new ConfigurationException("yamux." + name + " must be a positive duration, got " + value);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        return new Builder().maxInboundStreams(maxInboundStreams).maxOutboundStreams(maxOutboundStreams)
                .maxAckBacklog(maxAckBacklog).initialReceiveWindow(initialReceiveWindow)
                .maxReceiveWindow(maxReceiveWindow).maxInboundFrameSize(maxInboundFrameSize)
                .maxOutboundFrameSize(maxOutboundFrameSize).streamWaterMarks(streamLowWaterMark, streamHighWaterMark)
                .maxStreamQueuedBytes(maxStreamQueuedBytes).maxBufferedInboundBytes(maxBufferedInboundBytes)
                .maxControlBacklog(maxControlBacklog).pingTimeout(pingTimeout)
                .writeStallTimeout(writeStallTimeout).goAwayTimeout(goAwayTimeout);
    }

    /** Builder with the documented defaults; {@link #build()} validates. */
    public static final class Builder {
        private int maxInboundStreams = 1000;
        private int maxOutboundStreams = 1000;
        private int maxAckBacklog = 256;
        private int initialReceiveWindow = SPEC_INITIAL_WINDOW;
        private long maxReceiveWindow = 16L * 1024 * 1024;
        private long maxInboundFrameSize = 16L * 1024 * 1024;
        private int maxOutboundFrameSize = 63 * 1024;
        private long streamHighWaterMark = 1024L * 1024;
        private long streamLowWaterMark = 512L * 1024;
        private long maxStreamQueuedBytes = 8L * 1024 * 1024;
        private long maxBufferedInboundBytes = 64L * 1024 * 1024;
        private long maxControlBacklog = 256L * 1024;
        private Duration pingTimeout = Duration.ofSeconds(10);
        private Duration writeStallTimeout = Duration.ofSeconds(30);
        private Duration goAwayTimeout = Duration.ofSeconds(30);

        private Builder() {
        }

        public Builder maxInboundStreams(int v) {
            maxInboundStreams = v;
            return this;
        }

        public Builder maxOutboundStreams(int v) {
            maxOutboundStreams = v;
            return this;
        }

        public Builder maxAckBacklog(int v) {
            maxAckBacklog = v;
            return this;
        }

        public Builder initialReceiveWindow(int v) {
            initialReceiveWindow = v;
            return this;
        }

        public Builder maxReceiveWindow(long v) {
            maxReceiveWindow = v;
            return this;
        }

        public Builder maxInboundFrameSize(long v) {
            maxInboundFrameSize = v;
            return this;
        }

        public Builder maxOutboundFrameSize(int v) {
            maxOutboundFrameSize = v;
            return this;
        }

        public Builder streamWaterMarks(long low, long high) {
            streamLowWaterMark = low;
            streamHighWaterMark = high;
            return this;
        }

        public Builder maxStreamQueuedBytes(long v) {
            maxStreamQueuedBytes = v;
            return this;
        }

        public Builder maxBufferedInboundBytes(long v) {
            maxBufferedInboundBytes = v;
            return this;
        }

        public Builder maxControlBacklog(long v) {
            maxControlBacklog = v;
            return this;
        }

        public Builder pingTimeout(Duration v) {
            pingTimeout = v;
            return this;
        }

        public Builder writeStallTimeout(Duration v) {
            writeStallTimeout = v;
            return this;
        }

        public Builder goAwayTimeout(Duration v) {
            goAwayTimeout = v;
            return this;
        }

        public YamuxConfig build() {
            return new YamuxConfig(maxInboundStreams, maxOutboundStreams, maxAckBacklog, initialReceiveWindow,
                    maxReceiveWindow, maxInboundFrameSize, maxOutboundFrameSize, streamHighWaterMark,
                    streamLowWaterMark, maxStreamQueuedBytes, maxBufferedInboundBytes, maxControlBacklog,
                    pingTimeout, writeStallTimeout, goAwayTimeout);
        }
    }
}
