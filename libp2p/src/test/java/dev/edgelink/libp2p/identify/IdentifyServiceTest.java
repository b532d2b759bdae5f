package dev.edgelink.libp2p.identify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class IdentifyServiceTest {

    private final Host a = Host.start(HostConfig.builder(Keys.generateEd25519())
            .listen(List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"))).build());
    private final Host b = Host.start(HostConfig.builder(Keys.generateEd25519()).build());

    @AfterEach
    void close() {
        a.close();
        b.close();
    }

    @Test
    void bothSidesLearnEachOthersRecordAndTheAddressTheyWereSeenAt() throws Exception {
        IdentifyService ia = new IdentifyService(a);
        IdentifyService ib = new IdentifyService(b);
        Connection fromB = b.connect(a.listenAddresses().get(0).withPeerId(a.peerId())).get(10, TimeUnit.SECONDS);
        IdentifyInfo ofA = ib.identify(fromB).get(10, TimeUnit.SECONDS);
        assertEquals(a.listenAddresses(), ofA.listenAddresses());
        assertEquals(Optional.of(fromB.localAddress()), ofA.observedAddress());
        assertTrue(ofA.protocols().contains(IdentifyService.PUSH_PROTOCOL));
        assertTrue(a.peerId().matches(ofA.publicKey().orElseThrow()));
        Connection fromA = a.connection(b.peerId()).orElseThrow();
        IdentifyInfo ofB = ia.identify(fromA).get(10, TimeUnit.SECONDS);
        assertEquals(Optional.of(fromA.localAddress()), ofB.observedAddress());
    }

    @Test
    void aPushAnnouncesANewProtocolToConnectedPeers() throws Exception {
        IdentifyService pusher = new IdentifyService(a);
        IdentifyService ib = new IdentifyService(b);
        LinkedBlockingQueue<IdentifyInfo> seenByB = new LinkedBlockingQueue<>();
        ib.addListener((c, info) -> seenByB.add(info));
        b.connect(a.listenAddresses().get(0).withPeerId(a.peerId())).get(10, TimeUnit.SECONDS);
        IdentifyInfo first = seenByB.poll(10, TimeUnit.SECONDS);
        assertTrue(first != null && !first.protocols().contains("/new/1.0.0"));

        a.setHandler("/new/1.0.0", s -> s.reset());
        pusher.pushToAll();
        IdentifyInfo pushed = seenByB.poll(10, TimeUnit.SECONDS);
        assertTrue(pushed != null && pushed.protocols().contains("/new/1.0.0"), String.valueOf(pushed));
    }

    @Test
    void codecRefusesTruncatedAndOversizedMessages() {
        byte[] good = IdentifyCodec.encode(new IdentifyInfo("ipfs/0.1.0", "x", Optional.empty(), List.of(),
                List.of("/a"), Optional.empty()));
        ByteBuf truncated = Unpooled.wrappedBuffer(good, 0, good.length - 1);
        org.junit.jupiter.api.Assertions.assertThrows(dev.edgelink.libp2p.ProtocolViolationException.class,
                () -> IdentifyCodec.decode(truncated, 1024));
        org.junit.jupiter.api.Assertions.assertThrows(dev.edgelink.libp2p.LimitExceededException.class,
                () -> IdentifyCodec.decode(Unpooled.wrappedBuffer(good), 4));
    }
}
