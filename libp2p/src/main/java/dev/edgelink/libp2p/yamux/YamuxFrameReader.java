package dev.edgelink.libp2p.yamux;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Cuts the inbound byte stream of one connection, in whatever chunking the transport delivers it, into headers
 * and payload slices. A DATA payload is never collected: each part is handed on as soon as it arrives, as a
 * retained slice of the inbound buffer (no copy), so a 16 MiB frame costs no more memory than a 1 KiB one. Only
 * a header split across two reads is copied (12 bytes).
 *
 * <p>No I/O and no logging; decoding errors propagate from {@link YamuxCodec} and leave the reader unusable.
 */
final class YamuxFrameReader {

    /** Receives what the reader cut out, in wire order. */
    interface Sink {
        /**
         * A header. For DATA, returns whether the payload is wanted: if not, it is skipped without slicing. The
         * return value is ignored for other types.
         */
        boolean onHeader(YamuxHeader header);

        /** Part of the payload of the current DATA frame; the sink owns {@code part}. */
        void onPayload(YamuxHeader header, ByteBuf part);

        /** The whole payload of a DATA frame (possibly empty) has been passed on. */
        void onDataEnd(YamuxHeader header);

        /** False once the session closed: the rest of the input is dropped. */
        boolean accepting();
    }

    private final long maxDataLength;
    private final byte[] partialHeader = new byte[YamuxCodec.HEADER_LENGTH];
    private int partialLength;
    private YamuxHeader current;
    private boolean wantPayload;
    private long payloadRemaining;

    YamuxFrameReader(long maxDataLength) {
        this.maxDataLength = maxDataLength;
    }

    /** Consumes all of {@code in} (the caller still owns and releases {@code in}). */
    void read(ByteBuf in, Sink sink) {
        while (in.isReadable() && sink.accepting()) {
            if (current != null) {
                readPayload(in, sink);
                continue;
            }
            YamuxHeader header = readHeader(in);
            if (header == null) {
                return;
            }
            if (header.type() != YamuxFrameType.DATA) {
                sink.onHeader(header);
                continue;
            }
            current = header;
            payloadRemaining = header.length();
            wantPayload = sink.onHeader(header);
            if (payloadRemaining == 0) {
                finishData(sink);
            }
        }
    }

    private YamuxHeader readHeader(ByteBuf in) {
        if (partialLength == 0 && in.readableBytes() >= YamuxCodec.HEADER_LENGTH) {
            return YamuxCodec.decode(in, maxDataLength);
        }
        int n = Math.min(YamuxCodec.HEADER_LENGTH - partialLength, in.readableBytes());
        in.readBytes(partialHeader, partialLength, n);
        partialLength += n;
        if (partialLength < YamuxCodec.HEADER_LENGTH) {
            return null;
        }
        partialLength = 0;
        return YamuxCodec.decode(Unpooled.wrappedBuffer(partialHeader), maxDataLength);
    }

    private void readPayload(ByteBuf in, YamuxFrameReader.Sink sink) {
        int n = (int) Math.min(payloadRemaining, in.readableBytes());
        payloadRemaining -= n;
        if (wantPayload && n > 0) {
            sink.onPayload(current, in.readRetainedSlice(n));
        } else {
            in.skipBytes(n);
        }
        if (payloadRemaining == 0) {
            finishData(sink);
        }
    }

    private void finishData(Sink sink) {
        YamuxHeader done = current;
        current = null;
        sink.onDataEnd(done);
    }
}
