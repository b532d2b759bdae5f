package dev.edgelink.libp2p.yamux;

import static org.junit.jupiter.api.Assertions.fail;

import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamMuxer;
import dev.edgelink.libp2p.mux.StreamMuxerContractTest;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/** The muxer contract over two {@link EmbeddedChannel}s wired back to back, pumped by the test thread. */
class YamuxContractTest extends StreamMuxerContractTest {

    @Override
    protected Pair connect(Consumer<MuxedStream> clientInbound, Consumer<MuxedStream> serverInbound) {
        YamuxSession client = new YamuxSession(YamuxRole.CLIENT, YamuxConfig.DEFAULT, clientInbound);
        YamuxSession server = new YamuxSession(YamuxRole.SERVER, YamuxConfig.DEFAULT, serverInbound);
        return new EmbeddedPair(client, server);
    }

    @Override
    protected long maxBytesAcceptedWhileRemotePaused() {
        YamuxConfig c = YamuxConfig.DEFAULT;
        return c.initialReceiveWindow() + c.streamHighWaterMark() + MAX_CHUNK;
    }

    /** Two sessions on two embedded channels; {@link #pump()} moves bytes both ways until nothing moves. */
    static final class EmbeddedPair implements Pair {
        final YamuxSession client;
        final YamuxSession server;
        final EmbeddedChannel clientChannel;
        final EmbeddedChannel serverChannel;
        final TrackingAllocator alloc = new TrackingAllocator();

        EmbeddedPair(YamuxSession client, YamuxSession server) {
            this.client = client;
            this.server = server;
            this.clientChannel = new EmbeddedChannel();
            this.serverChannel = new EmbeddedChannel();
            clientChannel.config().setAllocator(alloc);
            serverChannel.config().setAllocator(alloc);
            clientChannel.pipeline().addLast(client);
            serverChannel.pipeline().addLast(server);
        }

        @Override
        public StreamMuxer client() {
            return client;
        }

        @Override
        public StreamMuxer server() {
            return server;
        }

        /** One round: run tasks, move what each side wrote to the other. Returns whether anything moved. */
        boolean pumpOnce() {
            clientChannel.runPendingTasks();
            serverChannel.runPendingTasks();
            boolean moved = move(clientChannel, serverChannel) | move(serverChannel, clientChannel);
            if (!clientChannel.isOpen() && serverChannel.isOpen()) {
                serverChannel.close();
                moved = true;
            }
            if (!serverChannel.isOpen() && clientChannel.isOpen()) {
                clientChannel.close();
                moved = true;
            }
            return moved;
        }

        private static boolean move(EmbeddedChannel from, EmbeddedChannel to) {
            boolean moved = false;
            Object msg;
            while ((msg = from.readOutbound()) != null) {
                moved = true;
                if (to.isOpen()) {
                    to.writeInbound(msg);
                } else {
                    io.netty.util.ReferenceCountUtil.release(msg);
                }
            }
            return moved;
        }

        void pump() {
            for (int i = 0; i < 1_000_000 && pumpOnce(); i++) {
                // keeps moving until both sides are quiet
            }
        }

        @Override
        public void await(BooleanSupplier condition, String what) {
            for (int i = 0; i < 1_000_000; i++) {
                if (condition.getAsBoolean()) {
                    return;
                }
                if (!pumpOnce() && !condition.getAsBoolean()) {
                    fail("connection went quiet before: " + what);
                }
            }
            fail("no progress towards: " + what);
        }

        @Override
        public void settle() {
            pump();
        }

        @Override
        public void shutdown() {
            clientChannel.finishAndReleaseAll();
            serverChannel.finishAndReleaseAll();
            alloc.assertAllReleased();
        }
    }
}
