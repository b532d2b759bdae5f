package dev.edgelink.libp2p.multistream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import dev.edgelink.libp2p.mux.StreamMuxer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Multistream-select on a muxed stream, fed byte chunks the way a muxer delivers them. Every buffer handed to the
 * negotiator must come back released (or be passed on as the leftover), whatever the chunking.
 */
class MultistreamStreamNegotiatorTest {

    private final EmbeddedChannel loop = new EmbeddedChannel();
    private final FakeStream stream = new FakeStream(loop.eventLoop());
    private final List<ByteBuf> fed = new ArrayList<>();

    @AfterEach
    void closeLoop() {
        loop.finishAndReleaseAll();
    }

    /** A stream that records what the negotiator does to it. */
    private static final class FakeStream implements MuxedStream {
        private final EventLoop eventLoop;
        StreamListener listener;
        boolean reset;
        final List<String> written = new ArrayList<>();

        FakeStream(EventLoop eventLoop) {
            this.eventLoop = eventLoop;
        }

        @Override
        public long id() {
            return 1;
        }

        @Override
        public boolean isOutbound() {
            return true;
        }

        @Override
        public StreamMuxer muxer() {
            throw new UnsupportedOperationException();
        }

        @Override
        public EventLoop eventLoop() {
            return eventLoop;
        }

        @Override
        public void setListener(StreamListener l) {
            listener = l;
        }

        @Override
        public void write(ByteBuf data) {
            written.add(data.toString(StandardCharsets.ISO_8859_1));
            data.release();
        }

        @Override
        public boolean isWritable() {
            return true;
        }

        @Override
        public void setAutoRead(boolean autoRead) {
        }

        @Override
        public void closeWrite() {
        }

        @Override
        public void reset() {
            reset = true;
        }

        @Override
        public boolean isClosed() {
            return reset;
        }
    }

    /** What the negotiation came to, and whether the stream was detached from the negotiator by then. */
    private final class Recorder implements MultistreamStreamNegotiator.Outcome {
        String protocol;
        ByteBuf leftover;
        Libp2pException failure;
        StreamListener listenerAtSelection;

        @Override
        public void selected(MuxedStream s, String selected, ByteBuf rest) {
            protocol = selected;
            leftover = rest;
            listenerAtSelection = stream.listener;
        }

        @Override
        public void failed(MuxedStream s, Libp2pException cause) {
            failure = cause;
        }
    }

    private Recorder startDialer(String protocol) {
        Recorder outcome = new Recorder();
        MultistreamStreamNegotiator.start(stream, MultistreamNegotiation.dialer(List.of(protocol)), outcome, 1024);
        loop.runPendingTasks();
        assertNotNull(stream.listener, "the negotiator listens once started");
        return outcome;
    }

    private void feed(byte[] bytes) {
        ByteBuf buf = Unpooled.copiedBuffer(bytes);
        fed.add(buf);
        stream.listener.onData(stream, buf);
    }

    private void assertAllFedReleased() {
        for (int i = 0; i < fed.size(); i++) {
            assertEquals(0, fed.get(i).refCnt(), "chunk " + i + " still referenced");
        }
    }

    @Test
    void headerAndAnswerInSeparateChunksAreBothReleased() {
        Recorder outcome = startDialer("/echo/1.0.0");
        feed(MultistreamCodec.encode(MultistreamCodec.HEADER));
        byte[] answer = MultistreamCodec.encode("/echo/1.0.0");
        byte[] early = "early".getBytes(StandardCharsets.US_ASCII);
        byte[] answerAndData = new byte[answer.length + early.length];
        System.arraycopy(answer, 0, answerAndData, 0, answer.length);
        System.arraycopy(early, 0, answerAndData, answer.length, early.length);
        feed(answerAndData);

        assertEquals("/echo/1.0.0", outcome.protocol);
        assertEquals("early", outcome.leftover.toString(StandardCharsets.US_ASCII));
        outcome.leftover.release();
        assertAllFedReleased();
    }

    @Test
    void messagesSplitAcrossManyChunksAreReassembledAndReleased() {
        Recorder outcome = startDialer("/echo/1.0.0");
        byte[] all = MultistreamCodec.encodeAll(List.of(MultistreamCodec.HEADER, "/echo/1.0.0"));
        for (byte b : all) {
            feed(new byte[] {b});
        }
        assertEquals("/echo/1.0.0", outcome.protocol);
        assertEquals(0, outcome.leftover.readableBytes());
        outcome.leftover.release();
        assertAllFedReleased();
    }

    @Test
    void theStreamIsDetachedBeforeTheOutcomeSoLaterBytesWaitForTheProtocolsReader() {
        Recorder outcome = startDialer("/echo/1.0.0");
        feed(MultistreamCodec.encodeAll(List.of(MultistreamCodec.HEADER, "/echo/1.0.0")));
        assertEquals("/echo/1.0.0", outcome.protocol);
        assertNull(outcome.listenerAtSelection,
                "bytes behind the selection must stay buffered in the stream, not go to the finished negotiator");
        outcome.leftover.release();
        assertAllFedReleased();
    }

    @Test
    void aResetWhileAPartialMessageIsHeldReleasesIt() {
        Recorder outcome = startDialer("/echo/1.0.0");
        byte[] header = MultistreamCodec.encode(MultistreamCodec.HEADER);
        feed(header);
        feed(new byte[] {5, '/', 'e'}); // the start of an answer
        StreamListener negotiator = stream.listener;
        TransportException cause = new TransportException("reset by the remote");
        negotiator.onReset(stream, cause);

        assertSame(cause, outcome.failure);
        assertNull(outcome.protocol);
        assertAllFedReleased();
        feed(new byte[] {'c'}); // late bytes after the failure are released too
        assertAllFedReleased();
    }
}
