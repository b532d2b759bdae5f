package dev.edgelink.dataplane.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Completing a partial checksum as a device would (VIRTIO_NET_HDR_F_NEEDS_CSUM), for peers without GSO. */
class ChecksumTest {

    @Test
    void completesAUdpChecksumSeededWithThePseudoHeader() {
        // IPv4 UDP 10.0.0.1:1000 -> 10.0.0.2:2000, payload "hi!" (11 bytes of UDP); its UDP checksum is 0x56b4
        // (computed independently, with Python).
        // The kernel leaves the folded pseudo-header sum (not complemented) in the checksum field.
        String ip = "4500001f000040004011264f0a0000010a000002";
        String udp = "03e807d0000b" + "0000" + "686921";
        ByteBuf b = Unpooled.wrappedBuffer(HexFormat.of().parseHex(ip + udp));
        int pseudo = fold(0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 17 + 0x000b);
        b.setShort(20 + 6, pseudo);
        TunnelService.completeChecksum(b, 0, b.readableBytes(), 20, 6);
        assertEquals(expected(b), b.getUnsignedShort(26));
        assertEquals(0x56b4, b.getUnsignedShort(26));
    }

    /** The full UDP checksum computed the textbook way, over pseudo-header + UDP with the field zeroed. */
    private static int expected(ByteBuf b) {
        ByteBuf copy = b.copy();
        copy.setShort(26, 0);
        long sum = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 17 + 0x000b;
        for (int i = 20; i < copy.readableBytes(); i += 2) {
            sum += i + 1 < copy.readableBytes() ? copy.getUnsignedShort(i) : copy.getUnsignedByte(i) << 8;
        }
        return ~fold(sum) & 0xFFFF;
    }

    private static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }
}
