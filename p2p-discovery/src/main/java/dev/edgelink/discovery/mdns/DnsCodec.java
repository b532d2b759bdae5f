package dev.edgelink.discovery.mdns;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Bytes to {@link DnsMessage} and back (RFC 1035 section 4, with the mDNS meaning of the class's top bit from
 * RFC 6762). Pure: no I/O, no logging; bad input throws {@link MalformedDnsException}.
 *
 * <pre>
 *  header (12 bytes)                          name: labels, or a pointer to an earlier name
 *  +--------+--------+--------+--------+      +-----+--------+-----+--------+----+
 *  |   id   |QR..flags| qdcount|ancount |      | len | label  | len | label  | 00 |   len &lt;= 63
 *  +--------+--------+--------+--------+      +-----+--------+-----+--------+----+
 *  |nscount |arcount |                        +-----------------+
 *  +--------+--------+                        |11|  offset (14) |   pointer, must point backwards
 *                                             +-----------------+
 *  question: name, type (16), class (16; top bit = QU)
 *  record:   name, type (16), class (16; top bit = cache flush), ttl (32), rdlength (16), rdata
 *  PTR rdata: a name.  TXT rdata: one or more (len (8), bytes) strings.
 * </pre>
 *
 * <p>Decoding defends against hostile packets: counts are bounded before anything is allocated, every read is
 * bounds-checked, and a compression pointer must point strictly before the name that uses it, so pointer loops
 * cannot exist (a chain of them ends within the packet). Encoding never compresses.
 */
public final class DnsCodec {

    /** The largest mDNS message (RFC 6762 section 17). */
    public static final int MAX_MESSAGE_BYTES = 9000;
    private static final int HEADER_BYTES = 12;
    private static final int MAX_NAME_BYTES = 255;
    private static final int MAX_LABEL_BYTES = 63;
    private static final int MAX_POINTER_JUMPS = 64;

    /**
     * What a decoder accepts.
     *
     * @param maxMessageBytes a longer packet is refused
     * @param maxEntries questions plus records of all sections
     */
    public record Limits(int maxMessageBytes, int maxEntries) {
        public static final Limits DEFAULT = new Limits(MAX_MESSAGE_BYTES, 256);
    }

    private DnsCodec() {
    }

    /** Decodes {@code length} bytes of {@code packet}. */
    public static DnsMessage decode(byte[] packet, int length, Limits limits) throws MalformedDnsException {
        if (length > limits.maxMessageBytes()) {
            throw new MalformedDnsException("message of " + length + " bytes, over the limit "
                    + limits.maxMessageBytes());
        }
        if (length < HEADER_BYTES) {
            throw new MalformedDnsException("message of " + length + " bytes is shorter than a header");
        }
        Reader r = new Reader(packet, length);
        int id = r.u16();
        int flags = r.u16();
        int qd = r.u16();
        int an = r.u16();
        int ns = r.u16();
        int ar = r.u16();
        if (qd + an + ns + ar > limits.maxEntries()) {
            throw new MalformedDnsException("message claims " + (qd + an + ns + ar) + " entries, over the limit "
                    + limits.maxEntries());
        }
        List<DnsMessage.Question> questions = new ArrayList<>(qd);
        for (int i = 0; i < qd; i++) {
            String name = r.name();
            int type = r.u16();
            int cls = r.u16();
            questions.add(new DnsMessage.Question(name, type, (cls & 0x8000) != 0));
        }
        List<DnsMessage.Record> answers = records(r, an);
        List<DnsMessage.Record> authorities = records(r, ns);
        List<DnsMessage.Record> additionals = records(r, ar);
        return new DnsMessage(id, (flags & 0x8000) != 0, questions, answers, authorities, additionals);
    }

    /** Encodes a message; throws {@link IllegalArgumentException} if a name, string or the whole is too long. */
    public static byte[] encode(DnsMessage m) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        u16(out, m.id());
        u16(out, m.response() ? 0x8400 : 0); // QR and AA for responses; a plain query otherwise
        u16(out, m.questions().size());
        u16(out, m.answers().size());
        u16(out, m.authorities().size());
        u16(out, m.additionals().size());
        for (DnsMessage.Question q : m.questions()) {
            name(out, q.name());
            u16(out, q.type());
            u16(out, DnsMessage.CLASS_IN | (q.unicastResponse() ? 0x8000 : 0));
        }
        for (DnsMessage.Record rec : m.allRecords()) {
            record(out, rec);
        }
        if (out.size() > MAX_MESSAGE_BYTES) {
            throw new IllegalArgumentException("DNS message of " + out.size() + " bytes is over "
                    + MAX_MESSAGE_BYTES);
        }
        return out.toByteArray();
    }

    private static List<DnsMessage.Record> records(Reader r, int count) throws MalformedDnsException {
        List<DnsMessage.Record> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String name = r.name();
            int type = r.u16();
            r.u16(); // class (and the cache-flush bit): mDNS peers only use IN
            long ttl = r.u32();
            int rdLength = r.u16();
            int end = r.pos + rdLength;
            if (end > r.length) {
                throw new MalformedDnsException("record data of " + rdLength + " bytes runs past the message");
            }
            String target = "";
            List<String> texts = List.of();
            if (type == DnsMessage.TYPE_PTR) {
                target = r.name();
                if (r.pos != end) {
                    throw new MalformedDnsException("PTR record data length " + rdLength + " does not match its name");
                }
            } else if (type == DnsMessage.TYPE_TXT) {
                texts = r.texts(end);
            }
            r.pos = end;
            out.add(new DnsMessage.Record(name, type, ttl, target, texts));
        }
        return out;
    }

    private static void record(ByteArrayOutputStream out, DnsMessage.Record rec) {
        name(out, rec.name());
        u16(out, rec.type());
        u16(out, DnsMessage.CLASS_IN);
        u16(out, (int) (rec.ttlSeconds() >>> 16));
        u16(out, (int) rec.ttlSeconds());
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        if (rec.type() == DnsMessage.TYPE_PTR) {
            name(data, rec.target());
        } else if (rec.type() == DnsMessage.TYPE_TXT) {
            for (String t : rec.texts()) {
                byte[] b = t.getBytes(StandardCharsets.UTF_8);
                if (b.length > 255) {
                    throw new IllegalArgumentException("TXT string of " + b.length + " bytes is over 255");
                }
                data.write(b.length);
                data.writeBytes(b);
            }
            if (rec.texts().isEmpty()) {
                data.write(0);
            }
        }
        u16(out, data.size());
        out.writeBytes(data.toByteArray());
    }

    private static void name(ByteArrayOutputStream out, String name) {
        int total = 1;
        String trimmed = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (!trimmed.isEmpty()) {
            for (String label : trimmed.split("\\.", -1)) {
                byte[] b = label.getBytes(StandardCharsets.UTF_8);
                if (b.length == 0 || b.length > MAX_LABEL_BYTES) {
                    throw new IllegalArgumentException("DNS label '" + label + "' of " + b.length
                            + " bytes must have 1 to " + MAX_LABEL_BYTES);
                }
                total += 1 + b.length;
                out.write(b.length);
                out.writeBytes(b);
            }
        }
        if (total > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("DNS name of " + total + " bytes is over " + MAX_NAME_BYTES);
        }
        out.write(0);
    }

    private static void u16(ByteArrayOutputStream out, int v) {
        out.write((v >>> 8) & 0xff);
        out.write(v & 0xff);
    }

    /** A bounds-checked cursor over the packet. */
    private static final class Reader {
        final byte[] data;
        final int length;
        int pos;

        Reader(byte[] data, int length) {
            this.data = data;
            this.length = Math.min(length, data.length);
        }

        int u8() throws MalformedDnsException {
            if (pos >= length) {
                throw new MalformedDnsException("message truncated at byte " + pos);
            }
            return data[pos++] & 0xff;
        }

        int u16() throws MalformedDnsException {
            return (u8() << 8) | u8();
        }

        long u32() throws MalformedDnsException {
            return ((long) u16() << 16) | u16();
        }

        List<String> texts(int end) throws MalformedDnsException {
            List<String> out = new ArrayList<>();
            while (pos < end) {
                int len = u8();
                if (pos + len > end) {
                    throw new MalformedDnsException("TXT string of " + len + " bytes runs past its record");
                }
                if (len > 0) {
                    out.add(new String(data, pos, len, StandardCharsets.UTF_8));
                }
                pos += len;
            }
            return out;
        }

        /** Reads a name at the cursor, following pointers; the cursor ends after the name's bytes here. */
        String name() throws MalformedDnsException {
            StringBuilder sb = new StringBuilder();
            int at = pos;
            int lowestStart = pos;
            int resume = -1;
            int bytes = 1;
            int jumps = 0;
            while (true) {
                if (at >= length) {
                    throw new MalformedDnsException("name truncated at byte " + at);
                }
                int len = data[at] & 0xff;
                if ((len & 0xc0) == 0xc0) {
                    if (at + 1 >= length) {
                        throw new MalformedDnsException("compression pointer truncated at byte " + at);
                    }
                    int target = ((len & 0x3f) << 8) | (data[at + 1] & 0xff);
                    if (target >= lowestStart || ++jumps > MAX_POINTER_JUMPS) {
                        throw new MalformedDnsException("compression pointer at byte " + at + " to " + target
                                + " does not point backwards (a loop)");
                    }
                    if (resume < 0) {
                        resume = at + 2;
                    }
                    lowestStart = target;
                    at = target;
                    continue;
                }
                if ((len & 0xc0) != 0) {
                    throw new MalformedDnsException("label type 0x" + Integer.toHexString(len) + " at byte " + at
                            + " is not supported");
                }
                if (len == 0) {
                    pos = resume >= 0 ? resume : at + 1;
                    return sb.toString();
                }
                bytes += len + 1;
                if (bytes > MAX_NAME_BYTES) {
                    throw new MalformedDnsException("name longer than " + MAX_NAME_BYTES + " bytes");
                }
                if (at + 1 + len > length) {
                    throw new MalformedDnsException("label of " + len + " bytes runs past the message");
                }
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(new String(data, at + 1, len, StandardCharsets.UTF_8));
                at += 1 + len;
            }
        }
    }
}
