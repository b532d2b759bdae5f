package dev.edgelink.relay.circuit;

import static dev.edgelink.relay.circuit.RelayFixture.addressOf;
import static dev.edgelink.relay.circuit.RelayFixture.await;
import static dev.edgelink.relay.circuit.RelayFixture.circuit;
import static dev.edgelink.relay.circuit.RelayFixture.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.echo.EchoClient;
import dev.edgelink.libp2p.echo.EchoService;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.Stream;
import dev.edgelink.libp2p.host.Streams;
import dev.edgelink.libp2p.mux.ByteBudget;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import dev.edgelink.relay.circuit.pb.CircuitProto.HopMessage;
import dev.edgelink.relay.circuit.pb.CircuitProto.Status;
import dev.edgelink.relay.circuit.pb.CircuitProto.StopMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Circuits whose targets stop reading while their sources push as fast as the relay lets them: far more than the
 * relay's {@code bufferBytes} is on its way, and the relay must neither hold more nor stop serving. Sources and
 * targets speak hop and stop by hand (no Noise inside the circuit), so that a target can stop reading its stream.
 */
class RelayMemoryTest {
    private static final long LIMIT = 1 << 20;
    private static final int CIRCUITS = 12;
    private static final long PUSH = 4 << 20;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final RelayFixture fx = new RelayFixture();

    @AfterEach
    void close() {
        fx.close();
    }

    @Test
    void circuitsWhoseTargetsStopReadingAreResetRatherThanTakeTheRelayPastItsLimit() throws Exception {
        Host r = fx.host();
        RelayServer server = fx.add(RelayServer.start(r, RelayConfig.defaults(p -> true).withBufferBytes(LIMIT)));
        List<Host> sources = new ArrayList<>();
        List<Stream> hops = new ArrayList<>();
        for (int i = 0; i < CIRCUITS; i++) {
            Host target = fx.host();
            await(RelayClient.install(target).reserve(addressOf(r)));
            target.setHandler(Protocols.STOP, RelayMemoryTest::answerAndStopReading);
            Host source = fx.host();
            sources.add(source);
            hops.add(connect(source, r, target));
        }
        assertEquals(CIRCUITS, server.circuitCount());

        hops.forEach(hop -> Streams.sendBulk(hop, PUSH, n -> Unpooled.wrappedBuffer(new byte[n]), 16 * 1024,
                IGNORE));
        ByteBudget memory = server.memory();
        assertTrue(eventually(() -> server.circuitsResetForMemory() > 0, TIMEOUT),
                "12 x 4 MiB pushed at targets that read nothing: circuits are reset; " + memory);
        assertTrue(memory.peak() <= LIMIT, "the relay never held more than its limit: " + memory.peak());

        sources.forEach(Host::close);
        assertTrue(eventually(() -> server.circuitCount() == 0, TIMEOUT));
        assertTrue(eventually(() -> memory.used() == 0, TIMEOUT), "everything given back: " + memory);

        Host a = fx.host();
        Host b = fx.host();
        await(RelayClient.install(a).reserve(addressOf(r)));
        RelayClient.install(b);
        Connection c = await(b.connect(circuit(r, a)));
        byte[] payload = new byte[100_000];
        assertEquals(Long.valueOf(payload.length),
                await(c.newStream(EchoService.PROTOCOL).thenCompose(s -> EchoClient.run(s, payload))),
                "the relay still serves");
    }

    /** Opens a circuit to {@code target} by hand; returns the source's hop stream, ready to carry bytes. */
    private static Stream connect(Host source, Host relay, Host target) throws Exception {
        Stream hop = await(source.newStream(addressOf(relay), Protocols.HOP));
        Status status = await(MessageReader.onItsLoop(hop).thenCompose(s -> {
            MessageReader reader = new MessageReader(s, TIMEOUT);
            s.write(CircuitCodec.frame(HopMessage.newBuilder().setType(HopMessage.Type.CONNECT)
                    .setPeer(CircuitCodec.peer(target.peerId())).build()));
            return reader.next().thenApply(body -> {
                reader.detach().release();
                return CircuitCodec.decodeHop(body).getStatus();
            });
        }));
        assertEquals(Status.OK, status);
        return hop;
    }

    /** A target that accepts the circuit and then reads nothing: its window fills and the relay must hold on. */
    private static void answerAndStopReading(Stream stop) {
        MessageReader reader = new MessageReader(stop, TIMEOUT);
        reader.next().thenAccept(body -> {
            stop.write(CircuitCodec.frame(StopMessage.newBuilder().setType(StopMessage.Type.STATUS)
                    .setStatus(Status.OK).build()));
            reader.detach().release();
        });
    }

    private static final StreamListener IGNORE = new StreamListener() {
        @Override
        public void onData(MuxedStream stream, ByteBuf data) {
            data.release();
        }
    };
}
