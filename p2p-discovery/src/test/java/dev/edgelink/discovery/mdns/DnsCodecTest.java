package dev.edgelink.discovery.mdns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DnsCodecTest {

    /** PTR query for _p2p._udp.local, class IN, as every libp2p implementation sends it. */
    private static final String QUERY = "000000000001000000000000"
            + "045f703270045f756470056c6f63616c00000c0001";

    /**
     * A response as a compressing responder writes it: PTR _p2p._udp.local -> abc._p2p._udp.local (pointer to 12),
     * and a TXT on abc._p2p._udp.local (label + pointer to 12) with one string "dnsaddr=/ip4/10.0.0.1/tcp/4001",
     * class IN with the cache-flush bit.
     */
    private static final String RESPONSE = "000084000000000100000001"
            + "045f703270045f756470056c6f63616c00" // 12: _p2p._udp.local
            + "000c0001" + "00000078" + "0006" + "03616263c00c" // PTR, ttl 120, rdata abc + ptr 12
            + "c027" // 39: abc._p2p._udp.local by pointer to the rdata above
            + "0010" + "8001" + "00000078" + "001f"
            + "1e" + hex("dnsaddr=/ip4/10.0.0.1/tcp/4001");

    private static byte[] bytes(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    private static String hex(String ascii) {
        return HexFormat.of().formatHex(ascii.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    private static DnsMessage decode(byte[] b) throws MalformedDnsException {
        return DnsCodec.decode(b, b.length, DnsCodec.Limits.DEFAULT);
    }

    @Test
    void queryEncodesToTheExactBytes() {
        byte[] encoded = DnsCodec.encode(DnsMessage.query(List.of(
                new DnsMessage.Question(MdnsService.SERVICE, DnsMessage.TYPE_PTR, false))));
        assertEquals(QUERY, HexFormat.of().formatHex(encoded));
    }

    @Test
    void compressedResponseDecodes() throws Exception {
        DnsMessage m = decode(bytes(RESPONSE));
        assertTrue(m.response());
        assertEquals(1, m.answers().size());
        assertEquals(1, m.additionals().size());
        DnsMessage.Record ptr = m.answers().get(0);
        assertEquals(MdnsService.SERVICE, ptr.name());
        assertEquals("abc._p2p._udp.local", ptr.target());
        assertEquals(120, ptr.ttlSeconds());
        DnsMessage.Record txt = m.additionals().get(0);
        assertEquals("abc._p2p._udp.local", txt.name());
        assertEquals(List.of("dnsaddr=/ip4/10.0.0.1/tcp/4001"), txt.texts());
    }

    @Test
    void responseRoundTrips() throws Exception {
        DnsMessage m = DnsMessage.response(
                List.of(DnsMessage.Record.ptr(MdnsService.SERVICE, 120, "x1._p2p._udp.local")),
                List.of(DnsMessage.Record.txt("x1._p2p._udp.local", 120, List.of("dnsaddr=/ip4/1.2.3.4/tcp/1",
                        "dnsaddr=/ip4/5.6.7.8/tcp/2"))));
        assertEquals(m, decode(DnsCodec.encode(m)));
    }

    @Test
    void questionKeepsTheUnicastBit() throws Exception {
        DnsMessage q = DnsMessage.query(List.of(new DnsMessage.Question("a.local", DnsMessage.TYPE_PTR, true)));
        assertTrue(decode(DnsCodec.encode(q)).questions().get(0).unicastResponse());
    }

    @Test
    void pointerToItselfIsRefused() {
        // one question whose name is a pointer to its own offset (12)
        byte[] b = bytes("000000000001000000000000" + "c00c" + "000c0001");
        MalformedDnsException e = assertThrows(MalformedDnsException.class, () -> decode(b));
        assertTrue(e.getMessage().contains("loop"), e.getMessage());
    }

    @Test
    void twoPointersThatPointAtEachOtherAreRefused() {
        // name at 12: label "a" then pointer to 17; at 17 a pointer back to 12
        byte[] b = bytes("000000000002000000000000" + "0161c011" + "000c0001" + "c00c" + "000c0001");
        assertThrows(MalformedDnsException.class, () -> decode(b));
    }

    @Test
    void forwardPointerIsRefused() {
        byte[] b = bytes("000000000001000000000000" + "c012" + "000c0001" + "0161" + "00");
        assertThrows(MalformedDnsException.class, () -> decode(b));
    }

    @Test
    void everyTruncationOfAValidResponseIsRefused() {
        byte[] full = bytes(RESPONSE);
        for (int len = 0; len < full.length; len++) {
            byte[] cut = Arrays.copyOf(full, len);
            assertThrows(MalformedDnsException.class, () -> decode(cut), "truncated to " + len);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ffff00000000", "0000ffff0000", "00000000ffff", "000000000101"})
    void hugeCountsAreRefusedBeforeReading(String counts) {
        // qdcount/ancount/nscount/arcount claims far beyond the 256-entry limit, on a 12-byte packet
        byte[] b = bytes("00000000" + "0000" + counts);
        MalformedDnsException e = assertThrows(MalformedDnsException.class, () -> decode(b));
        assertTrue(e.getMessage().contains("entries") || e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void oversizeMessageIsRefused() {
        byte[] b = new byte[DnsCodec.MAX_MESSAGE_BYTES + 1];
        MalformedDnsException e = assertThrows(MalformedDnsException.class, () -> decode(b));
        assertTrue(e.getMessage().contains("over the limit"), e.getMessage());
    }

    @Test
    void nameOverTwoHundredFiftyFiveBytesIsRefused() {
        StringBuilder name = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            name.append("3f").append("61".repeat(63));
        }
        byte[] b = bytes("000000000001000000000000" + name + "00" + "000c0001");
        MalformedDnsException e = assertThrows(MalformedDnsException.class, () -> decode(b));
        assertTrue(e.getMessage().contains("longer than 255"), e.getMessage());
    }

    @Test
    void extendedLabelTypeIsRefused() {
        byte[] b = bytes("000000000001000000000000" + "41" + "00" + "000c0001");
        assertThrows(MalformedDnsException.class, () -> decode(b));
    }

    @Test
    void txtStringRunningPastItsRecordIsRefused() {
        // TXT record with rdlength 2 whose string claims 5 bytes
        byte[] b = bytes("000084000000000100000000" + "0161" + "00" + "0010" + "0001" + "00000078" + "0002"
                + "0561" + "0000000000");
        assertThrows(MalformedDnsException.class, () -> decode(b));
    }

    @Test
    void encoderRefusesOverlongLabelsAndStrings() {
        assertThrows(IllegalArgumentException.class, () -> DnsCodec.encode(DnsMessage.query(List.of(
                new DnsMessage.Question("a".repeat(64) + ".local", DnsMessage.TYPE_PTR, false)))));
        assertThrows(IllegalArgumentException.class, () -> DnsCodec.encode(DnsMessage.response(List.of(),
                List.of(DnsMessage.Record.txt("a.local", 1, List.of("x".repeat(256)))))));
    }

    @Test
    void randomCorruptionOnlyEverThrowsMalformed() {
        byte[] valid = bytes(RESPONSE);
        Random random = new Random(7);
        int parsed = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] b = valid.clone();
            for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                b[random.nextInt(b.length)] = (byte) random.nextInt(256);
            }
            try {
                DnsCodec.decode(b, b.length, DnsCodec.Limits.DEFAULT);
                parsed++;
            } catch (MalformedDnsException expected) {
                // the only failure allowed
            }
        }
        assertTrue(parsed > 0, "some corruptions (ttl, id...) still parse");
        assertFalse(parsed == 20_000, "some corruptions must be refused");
    }

    @Test
    void lengthArgumentBoundsTheRead() throws Exception {
        byte[] padded = Arrays.copyOf(bytes(QUERY), 100);
        assertArrayEquals(bytes(QUERY), DnsCodec.encode(DnsCodec.decode(padded, bytes(QUERY).length,
                DnsCodec.Limits.DEFAULT)));
    }
}
