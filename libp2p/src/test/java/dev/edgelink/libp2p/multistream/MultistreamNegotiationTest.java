package dev.edgelink.libp2p.multistream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.multistream.MultistreamNegotiation.State;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MultistreamNegotiationTest {

    private static final String HEADER = MultistreamCodec.HEADER;

    private static MultistreamNegotiation listener(String... supported) {
        Set<String> set = Set.of(supported);
        return MultistreamNegotiation.listener(set::contains, () -> List.of(supported), 3);
    }

    /** Decodes every message in bytes one side sent. */
    private static List<String> messages(byte[] wire) {
        ByteBuf in = Unpooled.wrappedBuffer(wire);
        List<String> out = new ArrayList<>();
        String m;
        while ((m = MultistreamCodec.decode(in, 1024)) != null) {
            out.add(m);
        }
        return out;
    }

    @Test
    void dialerPipelinesHeaderAndFirstProposal() {
        MultistreamNegotiation dialer = MultistreamNegotiation.dialer(List.of("/noise"));
        assertEquals(List.of(HEADER, "/noise"), messages(dialer.start()));
        assertArrayEquals(new byte[0], dialer.onMessage(HEADER));
        assertEquals(State.AWAIT_ANSWER, dialer.state());
        dialer.onMessage("/noise");
        assertEquals(State.SELECTED, dialer.state());
        assertEquals("/noise", dialer.selected());
    }

    @Test
    void dialerFallsBackToItsNextProposalOnNa() {
        MultistreamNegotiation dialer = MultistreamNegotiation.dialer(List.of("/a/2.0.0", "/a/1.0.0"));
        dialer.start();
        dialer.onMessage(HEADER);
        assertEquals(List.of("/a/1.0.0"), messages(dialer.onMessage("na")));
        dialer.onMessage("/a/1.0.0");
        assertEquals("/a/1.0.0", dialer.selected());
    }

    @Test
    void dialerFailsWhenEveryProposalIsRefused() {
        MultistreamNegotiation dialer = MultistreamNegotiation.dialer(List.of("/a", "/b"));
        dialer.start();
        dialer.onMessage(HEADER);
        dialer.onMessage("na");
        UnsupportedProtocolException e = assertThrows(UnsupportedProtocolException.class,
                () -> dialer.onMessage("na"));
        assertEquals("remote supports none of [/a, /b]", e.getMessage());
    }

    @Test
    void dialerRefusesAnAnswerThatIsNeitherItsProposalNorNa() {
        MultistreamNegotiation dialer = MultistreamNegotiation.dialer(List.of("/a"));
        dialer.start();
        dialer.onMessage(HEADER);
        assertThrows(ProtocolViolationException.class, () -> dialer.onMessage("/b"));
    }

    @Test
    void eitherSideRefusesAWrongHeader() {
        MultistreamNegotiation dialer = MultistreamNegotiation.dialer(List.of("/a"));
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class,
                () -> dialer.onMessage("/multistream/2.0.0"));
        assertEquals("multistream: expected header /multistream/1.0.0, got '/multistream/2.0.0'", e.getMessage());
        assertThrows(ProtocolViolationException.class, () -> listener("/a").onMessage("GET / HTTP/1.1"));
    }

    @Test
    void listenerEchoesASupportedProtocol() {
        MultistreamNegotiation l = listener("/echo/1.0.0");
        assertEquals(List.of(HEADER), messages(l.start()));
        assertArrayEquals(new byte[0], l.onMessage(HEADER));
        assertEquals(List.of("/echo/1.0.0"), messages(l.onMessage("/echo/1.0.0")));
        assertEquals(State.SELECTED, l.state());
    }

    @Test
    void listenerAnswersNaThenAcceptsALaterProposal() {
        MultistreamNegotiation l = listener("/b");
        l.start();
        l.onMessage(HEADER);
        assertEquals(List.of("na"), messages(l.onMessage("/a")));
        assertEquals(State.AWAIT_PROPOSAL, l.state());
        assertEquals(List.of("/b"), messages(l.onMessage("/b")));
    }

    @Test
    void listenerListsItsProtocolsOnLs() {
        MultistreamNegotiation l = listener("/a", "/b");
        l.start();
        l.onMessage(HEADER);
        byte[] answer = l.onMessage("ls");
        String body = MultistreamCodec.decode(Unpooled.wrappedBuffer(answer), 1024);
        assertEquals(List.of("/a", "/b"), MultistreamCodec.decodeList(body, 1024));
    }

    @Test
    void listenerGivesUpOnARemoteThatKeepsProposingUnknownProtocols() {
        MultistreamNegotiation l = listener("/a");
        l.start();
        l.onMessage(HEADER);
        for (int i = 0; i < 3; i++) {
            l.onMessage("/unknown/" + i);
        }
        assertThrows(LimitExceededException.class, () -> l.onMessage("/unknown/3"));
    }

    @Test
    void messagesAfterSelectionAreAViolation() {
        MultistreamNegotiation l = listener("/a");
        l.start();
        l.onMessage(HEADER);
        l.onMessage("/a");
        assertThrows(ProtocolViolationException.class, () -> l.onMessage("/a"));
    }
}
