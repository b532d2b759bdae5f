package dev.edgelink.libp2p.multiaddr;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.encoding.Multibase;
import dev.edgelink.libp2p.encoding.Multihash;
import dev.edgelink.libp2p.peer.PeerId;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Converts one protocol value between its text and binary forms. Pure functions: text errors are
 * {@link ConfigurationException}s, binary errors {@link ProtocolViolationException}s, each naming the protocol.
 *
 * <pre>
 *  ip4           4 bytes, network order           "127.0.0.1"
 *  ip6           16 bytes, network order          "::1" (RFC 5952: lowercase, longest zero run as ::)
 *  tcp, udp      2 bytes, big-endian port          "4001"
 *  dns*, sni,    UTF-8 name                        "example.com" (no '/')
 *  ip6zone
 *  unix          UTF-8 path                        "%2Ftmp%2Fnode.sock" (percent-encoded, one text part)
 *  p2p           peer id multihash                 "12D3KooW..." (base58btc; CIDv1 accepted on input)
 *  certhash      multihash                         "uEi..." (multibase, base64url on output)
 * </pre>
 */
final class ValueCodec {

    private static final char[] HEX_DIGITS = "0123456789ABCDEF".toCharArray();

    private ValueCodec() {
    }

    static byte[] parse(Protocol protocol, String text) {
        return switch (protocol) {
            case IP4 -> parseIp4(text);
            case IP6 -> parseIp6(text);
            case TCP, UDP -> parsePort(text);
            case DNS, DNS4, DNS6, DNSADDR, SNI, IP6ZONE -> parseName(protocol, text);
            case UNIX -> percentDecode(text);
            case P2P -> PeerId.fromString(text).toBytes();
            case CERTHASH -> parseCertHash(text);
            default -> throw new IllegalArgumentException(protocol + " has no value");
        };
    }

    static String format(Protocol protocol, byte[] value) {
        return switch (protocol) {
            case IP4, IP6 -> IpText.format(value);
            case TCP, UDP -> Integer.toString(((value[0] & 0xff) << 8) | (value[1] & 0xff));
            case DNS, DNS4, DNS6, DNSADDR, SNI, IP6ZONE -> formatName(protocol, value);
            case UNIX -> percentEncode(decodeUtf8(protocol, value));
            case P2P -> PeerId.fromBytes(value).toBase58();
            case CERTHASH -> Multibase.encodeBase64Url(Multihash.decode(value).encode());
            default -> throw new IllegalArgumentException(protocol + " has no value");
        };
    }

    private static byte[] parseIp4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new ConfigurationException("'" + text + "' is not an IPv4 address (expected a.b.c.d)");
        }
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            String part = parts[i];
            boolean digits = !part.isEmpty() && part.length() <= 3 && part.chars().allMatch(c -> c >= '0' && c <= '9');
            // A leading zero reads as octal in some parsers; refusing it keeps every address unambiguous.
            if (!digits || (part.length() > 1 && part.charAt(0) == '0') || Integer.parseInt(part) > 255) {
                throw new ConfigurationException("'" + text + "' is not an IPv4 address (bad octet '" + part + "')");
            }
            out[i] = (byte) Integer.parseInt(part);
        }
        return out;
    }

    private static byte[] parseIp6(String text) {
        String error = "'" + text + "' is not an IPv6 address";
        if (text.indexOf('%') >= 0) {
            throw new ConfigurationException(error + " (write a zone as /ip6zone/<zone>/ip6/<address>)");
        }
        int gap = text.indexOf("::");
        if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
            throw new ConfigurationException(error + " (more than one '::')");
        }
        int[] head = gap < 0 ? groups(text, error) : groups(text.substring(0, gap), error);
        int[] tail = gap < 0 ? new int[0] : groups(text.substring(gap + 2), error);
        int count = head.length + tail.length;
        if (gap < 0 ? count != 8 : count > 7) {
            throw new ConfigurationException(error + " (wrong number of groups)");
        }
        byte[] out = new byte[16];
        for (int i = 0; i < head.length; i++) {
            out[2 * i] = (byte) (head[i] >> 8);
            out[2 * i + 1] = (byte) head[i];
        }
        for (int i = 0; i < tail.length; i++) {
            int at = 8 - tail.length + i;
            out[2 * at] = (byte) (tail[i] >> 8);
            out[2 * at + 1] = (byte) tail[i];
        }
        return out;
    }

    /** 16-bit groups of one side of an IPv6 address; a dotted IPv4 address may end it and counts as two. */
    private static int[] groups(String text, String error) {
        if (text.isEmpty()) {
            return new int[0];
        }
        String[] parts = text.split(":", -1);
        String last = parts[parts.length - 1];
        boolean dotted = last.indexOf('.') >= 0;
        int[] out = new int[parts.length + (dotted ? 1 : 0)];
        for (int i = 0; i < parts.length - (dotted ? 1 : 0); i++) {
            String part = parts[i];
            if (part.isEmpty() || part.length() > 4 || !part.chars().allMatch(ValueCodec::isHexDigit)) {
                throw new ConfigurationException(error + " (bad group '" + part + "')");
            }
            out[i] = Integer.parseInt(part, 16);
        }
        if (dotted) {
            byte[] v4 = parseIp4(last);
            out[out.length - 2] = ((v4[0] & 0xff) << 8) | (v4[1] & 0xff);
            out[out.length - 1] = ((v4[2] & 0xff) << 8) | (v4[3] & 0xff);
        }
        return out;
    }

    private static boolean isHexDigit(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static byte[] parsePort(String text) {
        boolean digits = !text.isEmpty() && text.length() <= 5 && text.chars().allMatch(c -> c >= '0' && c <= '9');
        if (!digits || Integer.parseInt(text) > 0xffff) {
            throw new ConfigurationException("'" + text + "' is not a port (expected 0 to 65535)");
        }
        int port = Integer.parseInt(text);
        return new byte[] {(byte) (port >> 8), (byte) port};
    }

    private static byte[] parseName(Protocol protocol, String text) {
        if (text.isEmpty()) {
            throw new ConfigurationException("/" + protocol + " needs a non-empty value");
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String formatName(Protocol protocol, byte[] value) {
        String name = decodeUtf8(protocol, value);
        if (name.isEmpty() || name.indexOf('/') >= 0) {
            throw new ProtocolViolationException("/" + protocol + " value must be non-empty and without '/'");
        }
        return name;
    }

    private static byte[] parseCertHash(String text) {
        byte[] multihash = Multibase.decode(text);
        try {
            Multihash.decode(multihash);
        } catch (ProtocolViolationException e) {
            throw new ConfigurationException("certhash '" + text + "' is not a multihash: " + e.getMessage(), e);
        }
        return multihash;
    }

    private static String decodeUtf8(Protocol protocol, byte[] value) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value)).toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolViolationException("/" + protocol + " value is not valid UTF-8", e);
        }
    }

    /** Like JavaScript's encodeURIComponent, which js-libp2p applies to unix paths. */
    private static String percentEncode(String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            boolean unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "-_.!~*'()".indexOf(c) >= 0;
            if (unreserved) {
                out.append(c);
            } else {
                out.append('%').append(HEX_DIGITS[c >> 4]).append(HEX_DIGITS[c & 0xf]);
            }
        }
        return out.toString();
    }

    private static byte[] percentDecode(String text) {
        if (text.isEmpty()) {
            throw new ConfigurationException("/unix needs a path (percent-encoded, e.g. %2Ftmp%2Fnode.sock)");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < text.length(); i++) {
            int c = text.codePointAt(i);
            if (c != '%') {
                out.writeBytes(Character.toString(c).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(c) - 1;
                continue;
            }
            if (i + 2 >= text.length() || !isHexDigit(text.charAt(i + 1)) || !isHexDigit(text.charAt(i + 2))) {
                throw new ConfigurationException("bad percent escape in /unix path '" + text + "'");
            }
            out.write(Integer.parseInt(text.substring(i + 1, i + 3), 16));
            i += 2;
        }
        return out.toByteArray();
    }
}
