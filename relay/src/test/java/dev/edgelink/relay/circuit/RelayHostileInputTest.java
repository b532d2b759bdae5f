package dev.edgelink.relay.circuit;

import static dev.edgelink.relay.circuit.RelayFixture.addressOf;
import static dev.edgelink.relay.circuit.RelayFixture.await;
import static dev.edgelink.relay.circuit.RelayFixture.circuit;
import static dev.edgelink.relay.circuit.RelayFixture.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.encoding.Varint;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.Stream;
import dev.edgelink.libp2p.host.Streams;
import dev.edgelink.relay.circuit.pb.CircuitProto.HopMessage;
import dev.edgelink.relay.circuit.pb.CircuitProto.Status;
import dev.edgelink.relay.circuit.pb.CircuitProto.StopMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Peers that break the hop and stop protocols get clean answers or resets, within the timeout, and leak nothing. */
class RelayHostileInputTest {

    private static final Duration TIMEOUT = Duration.ofMillis(400);
    private final RelayFixture fx = new RelayFixture();

    @AfterEach
    void close() {
        fx.close();
    }

    private Host relayHost;
    private RelayServer server;

    private Stream rawHop() throws Exception {
        relayHost = fx.host();
        server = fx.add(RelayServer.start(relayHost, RelayConfig.defaults(p -> true).withStreamTimeout(TIMEOUT)));
        Host h = fx.host();
        return await(h.newStream(addressOf(relayHost), Protocols.HOP));
    }

    /** Sends {@code request} and reads the relay's answer to its end. */
    private static HopMessage exchange(Stream s, ByteBuf request) throws Exception {
        CompletableFuture<ByteBuf> answer = Streams.readToEnd(s, 8192);
        s.write(request);
        ByteBuf all = await(answer);
        try {
            return CircuitCodec.decodeHop(CircuitCodec.nextBody(all));
        } finally {
            all.release();
        }
    }

    @Test
    void aStreamThatNeverSendsIsResetAfterTheTimeout() throws Exception {
        Stream s = rawHop();
        long start = System.nanoTime();
        assertThrows(ExecutionException.class, () -> await(Streams.readToEnd(s, 8192)));
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos());
        assertEquals(0, server.circuitCount());
    }

    @Test
    void anOversizedMessageIsRefusedByReset() throws Exception {
        Stream s = rawHop();
        ByteBuf out = Unpooled.buffer();
        Varint.write(1 << 20, out);
        s.write(out);
        assertThrows(ExecutionException.class, () -> await(Streams.readToEnd(s, 8192)));
    }

    @Test
    void garbageGetsMalformedMessage() throws Exception {
        Stream s = rawHop();
        ByteBuf garbage = Unpooled.wrappedBuffer(new byte[] {3, (byte) 0xff, (byte) 0xff, (byte) 0xff});
        assertEquals(Status.MALFORMED_MESSAGE, exchange(s, garbage).getStatus());
    }

    @Test
    void aStatusSentToTheRelayGetsUnexpectedMessage() throws Exception {
        Stream s = rawHop();
        ByteBuf status = CircuitCodec.frame(HopMessage.newBuilder().setType(HopMessage.Type.STATUS)
                .setStatus(Status.OK).build());
        assertEquals(Status.UNEXPECTED_MESSAGE, exchange(s, status).getStatus());
    }

    @Test
    void aConnectWithoutAPeerIsMalformed() throws Exception {
        Stream s = rawHop();
        ByteBuf connect = CircuitCodec.frame(HopMessage.newBuilder().setType(HopMessage.Type.CONNECT).build());
        assertEquals(Status.MALFORMED_MESSAGE, exchange(s, connect).getStatus());
    }

    @Test
    void aTargetThatNeverAnswersStopFailsTheConnectAndFreesTheSlot() throws Exception {
        relayHost = fx.host();
        server = fx.add(RelayServer.start(relayHost, RelayConfig.defaults(p -> true).withStreamTimeout(TIMEOUT)));
        Host target = fx.host();
        await(RelayClient.install(target).reserve(addressOf(relayHost)));
        target.setHandler(Protocols.STOP, stream -> { }); // reads nothing, answers nothing
        Host source = fx.host();
        RelayClient.install(source);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> await(source.connect(circuit(relayHost, target))));
        Throwable cause = e.getCause() instanceof CompletionException ? e.getCause().getCause() : e.getCause();
        assertEquals(Status.CONNECTION_FAILED, assertInstanceOf(RelayStatusException.class, cause).status());
        assertTrue(eventually(() -> server.circuitCount() == 0, Duration.ofSeconds(5)));
    }

    @Test
    void aBadStopRequestIsAnsweredAndOpensNoConnection() throws Exception {
        Host client = fx.host();
        RelayClient.install(client);
        Host fakeRelay = fx.host();
        Stream s = await(fakeRelay.newStream(addressOf(client), Protocols.STOP));
        CompletableFuture<ByteBuf> answer = Streams.readToEnd(s, 8192);
        s.write(CircuitCodec.frame(StopMessage.newBuilder().setType(StopMessage.Type.STATUS).setStatus(Status.OK)
                .build()));
        ByteBuf all = await(answer);
        StopMessage reply = CircuitCodec.decodeStop(CircuitCodec.nextBody(all));
        all.release();
        assertEquals(Status.UNEXPECTED_MESSAGE, reply.getStatus());
        assertTrue(client.relayedConnection(fakeRelay.peerId()).isEmpty());
    }
}
