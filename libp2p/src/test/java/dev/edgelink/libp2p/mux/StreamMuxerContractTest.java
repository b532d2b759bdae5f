package dev.edgelink.libp2p.mux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.TransportException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link StreamMuxer} must do, whatever its wire protocol. An implementation's test extends this and
 * says how to connect two muxers back to back.
 */
public abstract class StreamMuxerContractTest {

    /** Two muxers connected to each other. */
    public interface Pair {
        StreamMuxer client();

        StreamMuxer server();

        /** Lets the connection run until {@code condition} holds; fails the test if it does not come true. */
        void await(BooleanSupplier condition, String what);

        /** Lets the connection run until nothing more happens (or a short while, for real sockets). */
        void settle();

        /** Closes both ends and frees everything. */
        void shutdown();
    }

    /** Connects a client muxer to a server muxer; each hands the streams its remote opens to its consumer. */
    protected abstract Pair connect(Consumer<MuxedStream> clientInbound, Consumer<MuxedStream> serverInbound);

    /**
     * The most bytes a writer that respects {@link MuxedStream#isWritable()} may get accepted on a stream whose
     * remote reader is paused (remote buffer + local queue + one write of {@link #MAX_CHUNK}).
     */
    protected abstract long maxBytesAcceptedWhileRemotePaused();

    /** Largest single write the tests make. */
    protected static final int MAX_CHUNK = 65_537;
    private static final int[] ODD_CHUNKS = {1, 7, 13, 509, 4099, MAX_CHUNK, 3};

    private final List<MuxedStream> clientAccepted = new CopyOnWriteArrayList<>();
    private final List<MuxedStream> serverAccepted = new CopyOnWriteArrayList<>();
    private final List<Endpoint> endpoints = new CopyOnWriteArrayList<>();
    private Pair pair;
    private Consumer<MuxedStream> serverSetup = s -> attach(s, new Endpoint());

    private Pair pair() {
        if (pair == null) {
            pair = connect(s -> {
                clientAccepted.add(s);
                attach(s, new Endpoint());
            }, s -> {
                serverAccepted.add(s);
                serverSetup.accept(s);
            });
        }
        return pair;
    }

    @AfterEach
    void shutdownPair() {
        if (pair != null) {
            pair.shutdown();
        }
    }

    @Test
    void openedStreamIsAcceptedByRemoteWithSameId() throws Exception {
        MuxedStream s = open(pair().client());
        pair.await(() -> serverAccepted.size() == 1, "server accepted the stream");
        assertTrue(s.isOutbound());
        assertFalse(serverAccepted.get(0).isOutbound());
        assertEquals(s.id(), serverAccepted.get(0).id());
        assertEquals(1, pair.client().activeStreams());
        assertEquals(1, pair.server().activeStreams());
        assertNotNull(pair.client().protocolId());
    }

    @Test
    void dataFlowsBothWaysByteExactInOddSizedChunks() throws Exception {
        MuxedStream s = open(pair().client());
        Endpoint local = attach(s, new Endpoint());
        byte[] up = random(200_003, 1);
        byte[] down = random(150_001, 2);
        local.send(s, up, false);
        pair.await(() -> serverAccepted.size() == 1, "server accepted");
        Endpoint remote = endpointOf(serverAccepted.get(0));
        remote.send(serverAccepted.get(0), down, false);
        pair.await(() -> remote.received() == up.length && local.received() == down.length, "both directions");
        assertArrayEquals(up, remote.bytes());
        assertArrayEquals(down, local.bytes());
    }

    @Test
    void manyConcurrentStreamsCarry256KiBEachByteExact() throws Exception {
        int count = 32;
        int size = 256 * 1024;
        List<MuxedStream> streams = new ArrayList<>();
        List<Endpoint> locals = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            MuxedStream s = open(pair().client());
            Endpoint e = attach(s, new Endpoint());
            streams.add(s);
            locals.add(e);
        }
        for (int i = 0; i < count; i++) {
            locals.get(i).send(streams.get(i), random(size, 100 + streams.get(i).id()), true);
        }
        pair.await(() -> serverAccepted.size() == count
                && serverAccepted.stream().allMatch(s -> endpointOf(s).remoteClosed), "all streams delivered");
        for (MuxedStream s : serverAccepted) {
            Endpoint e = endpointOf(s);
            assertArrayEquals(random(size, 100 + s.id()), e.bytes(), "stream " + s.id());
            e.send(s, random(size, 200 + s.id()), true);
        }
        pair.await(() -> locals.stream().allMatch(e -> e.remoteClosed), "all replies delivered");
        for (int i = 0; i < count; i++) {
            assertArrayEquals(random(size, 200 + streams.get(i).id()), locals.get(i).bytes());
        }
        pair.await(() -> pair.client().activeStreams() == 0 && pair.server().activeStreams() == 0,
                "streams removed once both sides closed");
        assertTrue(streams.stream().allMatch(MuxedStream::isClosed));
    }

    @Test
    void halfCloseLetsTheOtherDirectionContinue() throws Exception {
        MuxedStream s = open(pair().client());
        Endpoint local = attach(s, new Endpoint());
        local.send(s, random(1000, 3), true);
        pair.await(() -> serverAccepted.size() == 1 && endpointOf(serverAccepted.get(0)).remoteClosed,
                "server saw FIN");
        MuxedStream remote = serverAccepted.get(0);
        assertEquals(1000, endpointOf(remote).received());
        assertFalse(remote.isClosed(), "only half closed");
        assertFalse(s.isWritable(), "no writing after closeWrite");
        byte[] reply = random(70_000, 4);
        endpointOf(remote).send(remote, reply, false);
        pair.await(() -> local.received() == reply.length, "reply after half-close");
        assertArrayEquals(reply, local.bytes());
        assertFalse(local.remoteClosed);
        remote.closeWrite();
        pair.await(() -> local.remoteClosed && s.isClosed() && remote.isClosed(), "both closed");
        pair.await(() -> pair.client().activeStreams() == 0 && pair.server().activeStreams() == 0, "removed");
        assertNull(local.reset);
    }

    @Test
    void resetAbortsBothDirectionsAndTellsTheRemote() throws Exception {
        MuxedStream s = open(pair().client());
        Endpoint local = attach(s, new Endpoint());
        local.send(s, random(10, 5), false);
        pair.await(() -> serverAccepted.size() == 1 && endpointOf(serverAccepted.get(0)).received() == 10,
                "data arrived");
        s.reset();
        pair.await(() -> endpointOf(serverAccepted.get(0)).reset != null, "remote saw the reset");
        assertTrue(s.isClosed());
        assertTrue(serverAccepted.get(0).isClosed());
        assertNull(local.reset, "a local reset is not reported back to the one who reset");
        ByteBuf late = Unpooled.wrappedBuffer(new byte[5]);
        serverAccepted.get(0).write(late);
        pair.settle();
        assertEquals(0, late.refCnt(), "writes after a reset are released");
        assertEquals(0, pair.client().activeStreams());
        assertEquals(0, pair.server().activeStreams());
    }

    @Test
    void pausedReaderMakesWriterUnwritableAndKeepsItsQueueBounded() throws Exception {
        serverSetup = s -> {
            Endpoint e = attach(s, new Endpoint());
            s.setAutoRead(false);
            e.paused = true;
        };
        MuxedStream s = open(pair().client());
        Endpoint local = attach(s, new Endpoint());
        byte[] data = random(8 * 1024 * 1024, 6);
        local.send(s, data, true);
        pair.await(() -> !s.isWritable(), "writer unwritable");
        pair.settle();
        assertFalse(s.isWritable());
        long accepted = local.sent;
        assertTrue(accepted < data.length, "writer stopped early");
        assertTrue(accepted <= maxBytesAcceptedWhileRemotePaused(),
                "accepted " + accepted + " > " + maxBytesAcceptedWhileRemotePaused());
        assertEquals(0, endpointOf(serverAccepted.get(0)).received(), "nothing delivered while paused");
        assertTrue(local.writabilityChanges > 0, "listener told");
        serverAccepted.get(0).setAutoRead(true);
        pair.await(() -> endpointOf(serverAccepted.get(0)).remoteClosed, "everything delivered after resume");
        assertArrayEquals(data, endpointOf(serverAccepted.get(0)).bytes());
    }

    @Test
    void closingTheSessionResetsStreamsOnBothSides() throws Exception {
        MuxedStream out = open(pair().client());
        Endpoint local = attach(out, new Endpoint());
        MuxedStream in = open(pair.server());
        Endpoint localIn = attach(in, new Endpoint());
        local.send(out, random(100, 7), false);
        pair.await(() -> serverAccepted.size() == 1 && clientAccepted.size() == 1, "both accepted");
        pair.client().close();
        pair.await(() -> local.reset != null && localIn.reset != null, "client streams reset");
        pair.await(() -> endpointOf(serverAccepted.get(0)).reset != null
                && endpointOf(clientAccepted.get(0)).reset != null, "server streams reset");
        assertInstanceOf(TransportException.class, local.reset);
        assertInstanceOf(TransportException.class, endpointOf(serverAccepted.get(0)).reset);
        pair.await(() -> pair.client().closeFuture().isDone() && pair.server().closeFuture().isDone(),
                "both sessions closed");
        assertEquals(0, pair.client().activeStreams());
        assertOpenFails(pair.client(), TransportException.class);
    }

    @Test
    void pingMeasuresARoundTrip() throws Exception {
        CompletableFuture<Duration> rtt = pair().client().ping();
        pair.await(rtt::isDone, "ping answered");
        assertFalse(rtt.get().isNegative());
    }

    @Test
    void goAwayRefusesNewStreamsButLetsExistingOnesFinish() throws Exception {
        MuxedStream s = open(pair().client());
        Endpoint local = attach(s, new Endpoint());
        pair.await(() -> true, "nothing");
        local.send(s, random(10, 8), false);
        pair.await(() -> serverAccepted.size() == 1, "accepted");
        pair.server().goAway();
        pair.settle();
        assertOpenFails(pair.client(), TransportException.class);
        byte[] more = random(300_000, 9);
        local.send(s, more, true);
        pair.await(() -> endpointOf(serverAccepted.get(0)).remoteClosed, "existing stream finished");
        assertEquals(10 + more.length, endpointOf(serverAccepted.get(0)).received());
    }

    // ---- helpers ----

    protected static void assertOpenFails(StreamMuxer muxer, Class<? extends Libp2pException> type)
            throws InterruptedException {
        try {
            muxer.openStream().get(5, TimeUnit.SECONDS);
            fail("openStream succeeded");
        } catch (ExecutionException e) {
            assertInstanceOf(type, e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            fail("openStream neither succeeded nor failed");
        }
    }

    protected MuxedStream open(StreamMuxer muxer) throws Exception {
        CompletableFuture<MuxedStream> f = muxer.openStream();
        pair().await(f::isDone, "openStream completes");
        return f.get();
    }

    private Endpoint attach(MuxedStream s, Endpoint e) {
        e.stream = s;
        endpoints.add(e);
        s.setListener(e);
        return e;
    }

    private Endpoint endpointOf(MuxedStream s) {
        for (Endpoint e : endpoints) {
            if (e.stream == s) {
                return e;
            }
        }
        throw new AssertionError("no endpoint for " + s);
    }

    protected static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Collects what a stream receives and sends a payload as fast as writability allows. */
    protected static final class Endpoint implements StreamListener {
        private final ByteArrayOutputStream in = new ByteArrayOutputStream();
        volatile MuxedStream stream;
        volatile boolean remoteClosed;
        volatile Libp2pException reset;
        volatile boolean paused;
        volatile int writabilityChanges;
        volatile long sent;
        private byte[] payload;
        private boolean closeWhenDone;
        private int chunkIndex;

        synchronized int received() {
            return in.size();
        }

        synchronized byte[] bytes() {
            return in.toByteArray();
        }

        void send(MuxedStream s, byte[] data, boolean close) {
            s.eventLoop().execute(() -> {
                payload = data;
                sent = 0;
                closeWhenDone = close;
                pump(s);
            });
        }

        private void pump(MuxedStream s) {
            if (payload == null) {
                return;
            }
            while (sent < payload.length && s.isWritable()) {
                int n = (int) Math.min(ODD_CHUNKS[chunkIndex++ % ODD_CHUNKS.length], payload.length - sent);
                s.write(Unpooled.wrappedBuffer(payload, (int) sent, n));
                sent += n;
            }
            if (sent == payload.length) {
                payload = null;
                if (closeWhenDone) {
                    s.closeWrite();
                }
            }
        }

        @Override
        public void onData(MuxedStream s, ByteBuf data) {
            byte[] copy = new byte[data.readableBytes()];
            data.readBytes(copy);
            synchronized (this) {
                in.write(copy, 0, copy.length);
            }
            data.release();
        }

        @Override
        public void onRemoteClose(MuxedStream s) {
            remoteClosed = true;
        }

        @Override
        public void onReset(MuxedStream s, Libp2pException cause) {
            reset = cause;
        }

        @Override
        public void onWritabilityChanged(MuxedStream s) {
            writabilityChanges++;
            if (s.isWritable()) {
                pump(s);
            }
        }
    }
}
