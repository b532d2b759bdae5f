package dev.edgelink.dataplane.path.probe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ProbePacketTest {

    @ParameterizedTest
    @CsvSource({
        "false, 0x0123456789abcdef, 454c50010000000001234567 89abcdef",
        "true,  0x0123456789abcdef, 454c50010001000001234567 89abcdef",
        "false, -1,                 454c500100000000ffffffff ffffffff",
    })
    void encodesByteExactlyAndDecodesBack(boolean reply, String nonce, String hex) {
        long n = nonce.startsWith("0x") ? Long.parseUnsignedLong(nonce.substring(2), 16) : Long.parseLong(nonce);
        byte[] bytes = HexFormat.of().parseHex(hex.replace(" ", ""));
        ProbePacket p = new ProbePacket(reply, n);
        assertArrayEquals(bytes, p.encode());
        assertEquals(p, ProbePacket.decode(ByteBuffer.wrap(bytes)));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "454c50010000000001234567",
        "454c50010000000001234567 89abcdef00",
        "454c50020000000001234567 89abcdef",
        "454c50010002000001234567 89abcdef",
        "454c50010000000101234567 89abcdef",
    })
    void refusesWhatIsNotAProbe(String hex) {
        byte[] bytes = HexFormat.of().parseHex(hex.replace(" ", ""));
        assertThrows(IllegalArgumentException.class, () -> ProbePacket.decode(ByteBuffer.wrap(bytes)));
    }
}
