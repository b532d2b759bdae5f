package dev.edgelink.dataplane.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The frame codec: byte-exact vectors, round trips, partial input, and one negative test per rule. */
class TunnelFramesTest {
    private static final HexFormat HEX = HexFormat.of();
    /** A 28-byte IPv4/ICMP echo request 10.244.1.2 -> 10.244.2.2, as ping sends it without payload. */
    private static final String IPV4 = "4500001c00004000400100000af401020af40202" + "0800f7ff00000000";

    /** Records what the decoder delivered, in order. */
    private static final class Recorder implements TunnelFrames.Sink {
        final List<String> events = new ArrayList<>();

        @Override
        public void hello(TunnelFrames.Hello hello) {
            events.add("hello " + hello);
        }

        @Override
        public void packet(ByteBuf packet, boolean gso) {
            events.add((gso ? "gso " : "packet ") + ByteBufUtil.hexDump(packet));
        }

        @Override
        public void ping(long token) {
            events.add("ping " + token);
        }

        @Override
        public void pong(long token) {
            events.add("pong " + token);
        }
    }

    private static Recorder decode(String hex, boolean gso) {
        Recorder r = new Recorder();
        TunnelFrames.decode(Unpooled.wrappedBuffer(HEX.parseHex(hex)), 1400, gso, r);
        return r;
    }

    @ParameterizedTest
    @CsvSource({
        "01000006 01 0578 01 01 61, 'hello Hello[version=1, mtu=1400, features=1, nodeName=a]'",
        "040000080000000000000007, ping 7",
        "05000008ffffffffffffffff, pong -1",
        "0200001c" + IPV4 + ", packet " + IPV4,
    })
    void decodesVectors(String hex, String event) {
        assertEquals(List.of(event), decode(hex.replace(" ", ""), false).events);
    }

    @Test
    void encodesHelloAndTokensByteExact() {
        ByteBuf out = Unpooled.buffer();
        TunnelFrames.writeHello(out, new TunnelFrames.Hello(1, 1400, 1, "a"));
        TunnelFrames.writeToken(out, TunnelFrames.PING, 7);
        assertEquals("0100000601057801016104000008" + "0000000000000007", ByteBufUtil.hexDump(out));
    }

    @Test
    void framesSplitAnywhereAreDeliveredOnceComplete() {
        ByteBuf all = Unpooled.buffer();
        TunnelFrames.writeHello(all, new TunnelFrames.Hello(1, 1400, 0, "node-b"));
        all.writeInt((TunnelFrames.PACKET << 24) | 28).writeBytes(HEX.parseHex(IPV4));
        TunnelFrames.writeToken(all, TunnelFrames.PONG, 3);
        byte[] bytes = ByteBufUtil.getBytes(all);
        for (int cut = 0; cut <= bytes.length; cut++) {
            Recorder r = new Recorder();
            ByteBuf in = Unpooled.buffer().writeBytes(bytes, 0, cut);
            TunnelFrames.decode(in, 1400, false, r);
            in.discardReadBytes().writeBytes(bytes, cut, bytes.length - cut);
            TunnelFrames.decode(in, 1400, false, r);
            assertEquals(3, r.events.size(), "cut at " + cut + ": " + r.events);
            assertTrue(r.events.get(2).equals("pong 3"));
            assertEquals(0, in.readableBytes());
        }
    }

    @ParameterizedTest
    @CsvSource({
        "09000001ff, unknown frame type 9",
        "0200057d, limit 1400",
        "0300001c, did not offer GSO",
        "0400000700000000000000, expected 8",
        "01000006 01 0578 00 05 61, disagrees",
        "01000006 01 0100 00 01 61, below 576",
        "0200001c 4500001d00004000400100000af401020af40202 0800f7ff00000000, says 29",
        "02000014 7500001400004000400100000af401020af40202, not IPv4 or IPv6",
        "02000004 45000004, shorter than an IP header",
    })
    void malformedFramesAreRejectedWithTheReason(String hex, String reason) {
        TunnelProtocolException e = assertThrows(TunnelProtocolException.class,
                () -> decode(hex.replace(" ", ""), false));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void gsoFramesNeedTheFeatureAndAConsistentPacket() {
        String vnet = "01040000000000000000";
        String frame = "0300" + String.format("%04x", 10 + 28) + vnet + IPV4;
        assertEquals(List.of("gso " + vnet + IPV4), decode(frame, true).events);
        assertThrows(TunnelProtocolException.class, () -> decode(frame, false));
        String big = "03" + String.format("%06x", TunnelFrames.MAX_GSO_PAYLOAD + 1);
        assertThrows(TunnelProtocolException.class, () -> decode(big, true));
    }
}
