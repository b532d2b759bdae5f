package dev.edgelink.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MacAddressTest {

    private static final byte[] BYTES = {0x02, 0x42, (byte) 0xac, 0x11, 0x00, 0x02};

    @Test
    void textAndBytesRoundTrip() {
        MacAddress mac = MacAddress.parse("02:42:ac:11:00:02");
        assertArrayEquals(BYTES, mac.toBytes());
        assertEquals(mac, MacAddress.fromBytes(BYTES));
        assertEquals("02:42:ac:11:00:02", MacAddress.fromBytes(BYTES).toString());
    }

    @Test
    void upperCaseIsReadAndPrintedLower() {
        MacAddress mac = MacAddress.parse("02:42:AC:11:00:02");
        assertEquals(MacAddress.parse("02:42:ac:11:00:02"), mac);
        assertEquals(MacAddress.parse("02:42:ac:11:00:02").hashCode(), mac.hashCode());
        assertEquals("02:42:ac:11:00:02", mac.toString());
    }

    @Test
    void itCannotBeChangedThroughItsBytes() {
        byte[] given = BYTES.clone();
        MacAddress mac = MacAddress.fromBytes(given);
        given[5] = 9;
        mac.toBytes()[5] = 9;
        assertArrayEquals(BYTES, mac.toBytes());
    }

    @Test
    void zeroIsAllZeros() {
        assertEquals(MacAddress.parse("00:00:00:00:00:00"), MacAddress.ZERO);
        assertNotEquals(MacAddress.ZERO, MacAddress.parse("00:00:00:00:00:01"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "zz:00:00:00:00:01", "02:00:00:00:00", "02:00:00:00:00:01:", "02:00:00:00:00:01:02",
        "2:00:00:00:00:01", "02-00-00-00-00-01", "0200.0000.0001", "+2:00:00:00:00:01"})
    void invalidTextIsRefused(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MacAddress.parse(text));
        assertEquals("invalid MAC address '" + text + "' (expected 6 hex pairs like 02:42:ac:11:00:02)",
                e.getMessage());
    }

    @Test
    void onlySixBytesMakeAnAddress() {
        assertThrows(IllegalArgumentException.class, () -> MacAddress.fromBytes(new byte[5]));
        assertThrows(IllegalArgumentException.class, () -> MacAddress.fromBytes(new byte[7]));
    }
}
