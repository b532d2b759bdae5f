package dev.edgelink.relay.dcutr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class HolePunchCodecTest {

    private static final HexFormat HEX = HexFormat.of();

    /** Bytes written out from the spec's schema by hand: field 1 varint (08), field 2 bytes (12 len ...). */
    @ParameterizedTest
    @CsvSource({
        "SYNC, '', 08ac02",
        "CONNECT, '', 0864",
        "CONNECT, /ip4/198.51.100.7/tcp/4001, 0864120804c633640706 0fa1",
    })
    void encodesByteExactly(HolePunchMessage.Type type, String address, String hex) {
        List<Multiaddr> addresses = address.isEmpty() ? List.of() : List.of(Multiaddr.fromString(address));
        byte[] expected = HEX.parseHex(hex.replace(" ", ""));
        assertArrayEquals(expected, HolePunchCodec.encode(type, addresses));
        HolePunchMessage back = HolePunchCodec.decode(expected);
        assertEquals(type, back.type());
        assertEquals(addresses, back.addresses());
    }

    @Test
    void invalidAddressEntriesAreCountedAndLeftOut() {
        // CONNECT, one garbage address (protocol code 0x7f7f unknown), one valid
        byte[] valid = Multiaddr.fromString("/ip4/198.51.100.7/tcp/4001").toBytes();
        byte[] bytes = HEX.parseHex("0864" + "1203ffff7f" + "12" + HEX.formatHex(new byte[] {(byte) valid.length})
                + HEX.formatHex(valid));
        HolePunchMessage m = HolePunchCodec.decode(bytes);
        assertEquals(1, m.addresses().size());
        assertEquals(1, m.unparseable());
    }

    @Test
    void hostileMessagesAreRefused() {
        assertThrows(ProtocolViolationException.class, () -> HolePunchCodec.decode(HEX.parseHex("ffffffff")));
        assertThrows(ProtocolViolationException.class, () -> HolePunchCodec.decode(new byte[0]), "no type");
        assertThrows(ProtocolViolationException.class, () -> HolePunchCodec.decode(HEX.parseHex("0801")),
                "unknown type 1");
        assertThrows(LimitExceededException.class, () -> HolePunchCodec.decode(new byte[4097]));
        List<Multiaddr> many = new ArrayList<>();
        for (int i = 0; i < 65; i++) {
            many.add(Multiaddr.fromString("/ip4/198.51.100." + i + "/tcp/1"));
        }
        byte[] tooMany = HolePunchCodec.encode(HolePunchMessage.Type.CONNECT, many);
        assertThrows(LimitExceededException.class, () -> HolePunchCodec.decode(tooMany));
    }
}
