package dev.edgelink.dataplane.internal.netlink.codec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** Loads a hex vector from {@code src/test/resources/vectors}: '#' starts a comment, whitespace is ignored. */
public final class Vectors {
    private Vectors() {
    }

    public static byte[] load(String name) {
        try (InputStream in = Vectors.class.getResourceAsStream("/vectors/" + name + ".hex")) {
            if (in == null) {
                throw new IllegalArgumentException("no vector " + name);
            }
            StringBuilder hex = new StringBuilder();
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                int hash = line.indexOf('#');
                hex.append((hash < 0 ? line : line.substring(0, hash)).replaceAll("\\s", ""));
            }
            return HexFormat.of().parseHex(hex);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ByteBuffer buffer(String name) {
        return ByteBuffer.wrap(load(name)).order(ByteOrder.nativeOrder());
    }

    /** The sequence number in a message's header. */
    public static int seq(byte[] message) {
        return ByteBuffer.wrap(message).order(ByteOrder.nativeOrder()).getInt(8);
    }

    /** The payload of the only message in a datagram. */
    public static ByteBuffer payload(String name) {
        return NetlinkHeader.split(buffer(name)).get(0).payload();
    }
}
