package dev.edgelink.libp2p.multistream;

import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.encoding.Varint;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Pure codec for multistream-select 1.0 messages. No I/O, no logging: malformed input throws.
 *
 * <pre>
 *  +----------------+---------------------------+------+
 *  | uvarint length | UTF-8 text (length-1 B)   | '\n' |
 *  +----------------+---------------------------+------+
 *          length counts the text and the newline
 * </pre>
 *
 * <p>The answer to {@code ls} is one such message whose body is itself a sequence of messages, one per
 * protocol, followed by the outer message's newline.
 */
public final class MultistreamCodec {

    /** The protocol id of multistream-select itself, exchanged first by both sides. */
    public static final String HEADER = "/multistream/1.0.0";
    public static final String NA = "na";
    public static final String LS = "ls";

    private MultistreamCodec() {
    }

    /** Encodes one message: varint length, text, newline. */
    public static byte[] encode(String text) {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        byte[] prefix = Varint.encode(body.length + 1L);
        byte[] out = new byte[prefix.length + body.length + 1];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(body, 0, out, prefix.length, body.length);
        out[out.length - 1] = '\n';
        return out;
    }

    /** Encodes several messages back to back (e.g. header and first proposal, sent in one write). */
    public static byte[] encodeAll(List<String> texts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String text : texts) {
            out.writeBytes(encode(text));
        }
        return out.toByteArray();
    }

    /** Encodes the answer to {@code ls}: one message holding one message per protocol. */
    public static byte[] encodeList(List<String> protocols) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (String protocol : protocols) {
            body.writeBytes(encode(protocol));
        }
        body.write('\n');
        byte[] inner = body.toByteArray();
        byte[] prefix = Varint.encode(inner.length);
        byte[] out = new byte[prefix.length + inner.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(inner, 0, out, prefix.length, inner.length);
        return out;
    }

    /**
     * Decodes one message from {@code in} if it is complete. Returns null and leaves the reader index where
     * it was if more bytes are needed.
     *
     * @throws LimitExceededException if the announced length is above {@code maxLength}
     * @throws ProtocolViolationException if the message is empty or lacks its trailing newline
     */
    public static String decode(ByteBuf in, int maxLength) {
        int start = in.readerIndex();
        long length = Varint.read(in);
        if (length < 0) {
            return null;
        }
        if (length > maxLength) {
            throw new LimitExceededException("multistream message length", maxLength, length);
        }
        if (length == 0) {
            throw new ProtocolViolationException("multistream: empty message");
        }
        if (in.readableBytes() < length) {
            in.readerIndex(start);
            return null;
        }
        int textLength = (int) length - 1;
        String text = in.toString(in.readerIndex(), textLength, StandardCharsets.UTF_8);
        in.skipBytes(textLength);
        if (in.readByte() != '\n') {
            throw new ProtocolViolationException("multistream: message does not end in a newline: "
                    + printable(text));
        }
        return text;
    }

    /** Decodes the body of an {@code ls} answer (as returned by {@link #decode}) into protocol ids. */
    public static List<String> decodeList(String body, int maxLength) {
        ByteBuf buf = io.netty.buffer.Unpooled.wrappedBuffer(body.getBytes(StandardCharsets.UTF_8));
        List<String> protocols = new ArrayList<>();
        while (buf.isReadable()) {
            String protocol = decode(buf, maxLength);
            if (protocol == null) {
                throw new ProtocolViolationException("multistream: truncated ls answer");
            }
            protocols.add(protocol);
        }
        return protocols;
    }

    /** Shortens and escapes text from a remote for a log line or an exception message. */
    static String printable(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && out.length() < 64; i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c < 0x7f) {
                out.append(c);
            } else {
                out.append(String.format("\\x%02x", (int) c & 0xff));
            }
        }
        return text.length() > 64 ? out + "..." : out.toString();
    }
}
