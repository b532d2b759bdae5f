package dev.edgelink.discovery.mdns;

import java.util.List;

/**
 * One DNS message as mDNS uses it: a header, questions, and three sections of resource records. Only the record
 * types libp2p mDNS needs carry data here (PTR: a name; TXT: strings); any other record keeps just its name, type
 * and TTL, so a packet full of A/SRV/NSEC records still parses.
 *
 * @param id the message id (0 in multicast mDNS)
 * @param response the QR bit: true for a response, false for a query
 */
public record DnsMessage(int id, boolean response, List<Question> questions, List<Record> answers,
        List<Record> authorities, List<Record> additionals) {

    public static final int TYPE_A = 1;
    public static final int TYPE_PTR = 12;
    public static final int TYPE_TXT = 16;
    public static final int TYPE_AAAA = 28;
    public static final int TYPE_SRV = 33;
    public static final int TYPE_ANY = 255;
    public static final int CLASS_IN = 1;

    public DnsMessage {
        questions = List.copyOf(questions);
        answers = List.copyOf(answers);
        authorities = List.copyOf(authorities);
        additionals = List.copyOf(additionals);
    }

    /** A query with the given questions. */
    public static DnsMessage query(List<Question> questions) {
        return new DnsMessage(0, false, questions, List.of(), List.of(), List.of());
    }

    /** An authoritative response. */
    public static DnsMessage response(List<Record> answers, List<Record> additionals) {
        return new DnsMessage(0, true, List.of(), answers, List.of(), additionals);
    }

    /** Every record of the three record sections. */
    public List<Record> allRecords() {
        java.util.ArrayList<Record> all = new java.util.ArrayList<>(answers);
        all.addAll(authorities);
        all.addAll(additionals);
        return all;
    }

    /**
     * One question.
     *
     * @param unicastResponse the mDNS QU bit (top bit of the class): the asker prefers a unicast answer
     */
    public record Question(String name, int type, boolean unicastResponse) {
    }

    /**
     * One resource record.
     *
     * @param target the PTR target name; empty for other types
     * @param texts the TXT strings; empty for other types
     */
    public record Record(String name, int type, long ttlSeconds, String target, List<String> texts) {
        public Record {
            texts = List.copyOf(texts);
        }

        public static Record ptr(String name, long ttl, String target) {
            return new Record(name, TYPE_PTR, ttl, target, List.of());
        }

        public static Record txt(String name, long ttl, List<String> texts) {
            return new Record(name, TYPE_TXT, ttl, "", texts);
        }
    }
}
