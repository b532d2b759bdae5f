package dev.edgelink.relay.autonat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.relay.autonat.AutonatMessage.ResponseStatus;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** AutoNAT's pure parts: codec, dial-back address policy, rate limits, the confidence rule. */
class AutonatRulesTest {

    private static final long S = 1_000_000_000L;
    private final PeerId peer = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());

    private static Multiaddr ma(String s) {
        return Multiaddr.fromString(s);
    }

    @Test
    void dialAndResponseRoundTrip() {
        List<Multiaddr> addrs = List.of(ma("/ip4/203.0.113.5/tcp/4001"), ma("/ip6/2001:db8::1/tcp/4001"));
        AutonatMessage.Dial d = (AutonatMessage.Dial) AutonatCodec.decode(AutonatCodec.encodeDial(peer, addrs));
        assertEquals(peer, d.peer());
        assertEquals(addrs, d.addresses());
        AutonatMessage.DialResponse r = new AutonatMessage.DialResponse(ResponseStatus.OK, "dialed",
                Optional.of(addrs.get(0)));
        assertEquals(r, AutonatCodec.decode(AutonatCodec.encodeResponse(r)));
    }

    @Test
    void aRefusalEncodesByteExactly() {
        byte[] bytes = AutonatCodec.encodeResponse(new AutonatMessage.DialResponse(ResponseStatus.E_DIAL_REFUSED,
                "no", Optional.empty()));
        // type=1, dialResponse { status=101, statusText="no" }
        assertArrayEquals(HexFormat.of().parseHex("08011a0608651202" + "6e6f"), bytes);
    }

    @Test
    void hostileMessagesAreRefused() {
        HexFormat hex = HexFormat.of();
        assertThrows(ProtocolViolationException.class, () -> AutonatCodec.decode(hex.parseHex("ff01")));
        assertThrows(ProtocolViolationException.class, () -> AutonatCodec.decode(new byte[0]), "no type");
        assertThrows(ProtocolViolationException.class, () -> AutonatCodec.decode(hex.parseHex("0800")),
                "DIAL without peer");
        assertThrows(ProtocolViolationException.class, () -> AutonatCodec.decode(hex.parseHex("080112020a00")),
                "DIAL with an empty peer id");
        assertThrows(ProtocolViolationException.class, () -> AutonatCodec.decode(hex.parseHex("08011a0308d707")),
                "unknown status 983");
        assertThrows(LimitExceededException.class, () -> AutonatCodec.decode(new byte[4097]));
        List<Multiaddr> many = new ArrayList<>();
        for (int i = 0; i < 65; i++) {
            many.add(ma("/ip4/203.0.113." + i + "/tcp/1"));
        }
        assertThrows(LimitExceededException.class, () -> AutonatCodec.decode(AutonatCodec.encodeDial(peer, many)));
    }

    @Test
    void dialBackGoesOnlyToTheObservedIpAndPrivateOnesOnlyWhenAllowed() throws Exception {
        InetAddress observed = InetAddress.getByName("203.0.113.5");
        List<Multiaddr> asked = List.of(ma("/ip4/198.51.100.9/tcp/4001"), ma("/ip4/203.0.113.5/tcp/4001"),
                ma("/ip4/203.0.113.5/tcp/0"), ma("/dns4/example.org/tcp/4001"),
                ma("/ip4/203.0.113.5/tcp/4002/p2p/" + peer), ma("/ip4/203.0.113.5/tcp/4001"));
        assertEquals(List.of(ma("/ip4/203.0.113.5/tcp/4001"), ma("/ip4/203.0.113.5/tcp/4002")),
                new DialBackPolicy(false, 4).select(observed, asked));
        assertEquals(1, new DialBackPolicy(false, 1).select(observed, asked).size());
        InetAddress lan = InetAddress.getByName("10.1.0.11");
        List<Multiaddr> lanAsk = List.of(ma("/ip4/10.1.0.11/tcp/4001"));
        assertTrue(new DialBackPolicy(false, 4).select(lan, lanAsk).isEmpty());
        assertTrue(!new DialBackPolicy(false, 4).acceptsRequester(lan));
        assertEquals(lanAsk, new DialBackPolicy(true, 4).select(lan, lanAsk));
    }

    @Test
    void rateLimitsPerPeerAndGlobalSlideWithTheWindow() {
        RateLimiter limiter = new RateLimiter(2, 3, 60 * S);
        PeerId other = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        PeerId third = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        assertNull(limiter.tryAcquire(peer, 0));
        assertNull(limiter.tryAcquire(peer, 1));
        assertTrue(limiter.tryAcquire(peer, 2).contains("per-peer"));
        assertNull(limiter.tryAcquire(other, 3));
        assertTrue(limiter.tryAcquire(third, 4).contains("global"));
        assertTrue(limiter.tryAcquire(third, 60 * S - 1).contains("global"));
        assertNull(limiter.tryAcquire(third, 60 * S));
        assertNull(limiter.tryAcquire(peer, 60 * S + 1));
    }

    @Test
    void theConfidenceRuleNeedsEnoughAgreeingPeers() {
        NatStatusTracker t = new NatStatusTracker(3, 600 * S, 16);
        List<PeerId> peers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            peers.add(PeerId.fromPublicKey(Keys.generateEd25519().publicKey()));
        }
        assertEquals(NatStatus.UNKNOWN, t.record(peers.get(0), ResponseStatus.OK, 0));
        assertEquals(NatStatus.UNKNOWN, t.record(peers.get(0), ResponseStatus.OK, 1), "one peer counts once");
        assertEquals(NatStatus.UNKNOWN, t.record(peers.get(1), ResponseStatus.OK, 2));
        assertEquals(NatStatus.UNKNOWN, t.record(peers.get(2), ResponseStatus.E_DIAL_REFUSED, 3));
        assertEquals(NatStatus.PUBLIC, t.record(peers.get(3), ResponseStatus.OK, 4));
        assertEquals(NatStatus.PUBLIC, t.record(peers.get(4), ResponseStatus.E_DIAL_ERROR, 5));
        t.record(peers.get(0), ResponseStatus.E_DIAL_ERROR, 6);
        t.record(peers.get(1), ResponseStatus.E_DIAL_ERROR, 7);
        assertEquals(NatStatus.PRIVATE, t.status(8));
        assertEquals(NatStatus.UNKNOWN, t.status(600 * S + 7), "answers age out");
    }
}
