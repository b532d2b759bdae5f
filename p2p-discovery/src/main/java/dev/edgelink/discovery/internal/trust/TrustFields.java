package dev.edgelink.discovery.internal.trust;

import dev.edgelink.net.IpPrefix;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The field rules of certificates and revocation lists, in one place for decoding (a violation is an
 * {@link dev.edgelink.discovery.trust.InvalidCertificateException}, MALFORMED) and for signing (the callers turn it
 * into a configuration error). Each check names the field, its value and the subject (which certificate), so the
 * message can be shown as it is.
 */
public final class TrustFields {

    public static final int MAX_CA_NAME = 64;
    public static final int MAX_NODE_NAME = 253;
    public static final int MAX_SITE = 63;
    public static final int MAX_POD_CIDRS = 8;
    /** Most entries (fingerprints and node names together) in one revocation list. */
    public static final int MAX_REVOKED_ENTRIES = 65536;

    /** A Kubernetes node name: a DNS subdomain (RFC 1123), lower case. */
    private static final Pattern NODE_NAME = Pattern.compile(
            "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern SITE = Pattern.compile("[A-Za-z0-9._-]*");
    private static final Pattern CA_NAME = Pattern.compile("[\\x20-\\x7e]+");

    private TrustFields() {
    }

    public static void caName(String subject, String name) {
        if (name.isEmpty() || name.length() > MAX_CA_NAME || !CA_NAME.matcher(name).matches()) {
            throw TrustCodec.malformed(subject + ": CA name '" + printable(name) + "' must be 1 to " + MAX_CA_NAME
                    + " printable ASCII characters");
        }
    }

    public static void nodeName(String subject, String name) {
        if (name.isEmpty() || name.length() > MAX_NODE_NAME || !NODE_NAME.matcher(name).matches()) {
            throw TrustCodec.malformed(subject + ": node name '" + printable(name) + "' is not a Kubernetes node name"
                    + " (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, 1 to "
                    + MAX_NODE_NAME + " characters)");
        }
    }

    public static void site(String subject, String site) {
        if (site.length() > MAX_SITE || !SITE.matcher(site).matches()) {
            throw TrustCodec.malformed(subject + ": site '" + printable(site) + "' must be at most " + MAX_SITE
                    + " characters of [A-Za-z0-9._-], as node records");
        }
    }

    /** Validity: both instants representable (below 2^63 ms) and {@code notAfter} later than {@code notBefore}. */
    public static void validity(String subject, long notBeforeMillis, long notAfterMillis) {
        if (notBeforeMillis < 0 || notAfterMillis < 0) {
            throw TrustCodec.malformed(subject + ": validity times must be below 2^63 ms, got not_before "
                    + Long.toUnsignedString(notBeforeMillis) + " and not_after "
                    + Long.toUnsignedString(notAfterMillis));
        }
        if (notAfterMillis <= notBeforeMillis) {
            throw TrustCodec.malformed(subject + ": not valid after " + iso(notAfterMillis)
                    + ", which is not later than its start " + iso(notBeforeMillis));
        }
    }

    /** A counter or instant carried as uint64: it must fit a signed long. */
    public static void unsigned63(String subject, String field, long value) {
        if (value < 0) {
            throw TrustCodec.malformed(subject + ": " + field + " " + Long.toUnsignedString(value)
                    + " is larger than 2^63-1");
        }
    }

    /**
     * Parses pod CIDRs: 1 to 8, each in its canonical network form ({@link IpPrefix#toString()}), none overlapping
     * another.
     */
    public static List<IpPrefix> podCidrs(String subject, List<String> texts) {
        if (texts.isEmpty() || texts.size() > MAX_POD_CIDRS) {
            throw TrustCodec.malformed(subject + ": " + texts.size() + " pod CIDRs, expected 1 to " + MAX_POD_CIDRS);
        }
        List<IpPrefix> out = new ArrayList<>(texts.size());
        for (String text : texts) {
            IpPrefix prefix;
            try {
                prefix = IpPrefix.parseNetwork(text);
            } catch (IllegalArgumentException e) {
                throw TrustCodec.malformed(subject + ": pod CIDR '" + printable(text) + "' is invalid: "
                        + e.getMessage());
            }
            if (!prefix.toString().equals(text)) {
                throw TrustCodec.malformed(subject + ": pod CIDR '" + printable(text) + "' is not in canonical form ("
                        + prefix + ")");
            }
            for (IpPrefix earlier : out) {
                if (earlier.overlaps(prefix)) {
                    throw TrustCodec.malformed(subject + ": pod CIDRs " + earlier + " and " + prefix + " overlap");
                }
            }
            out.add(prefix);
        }
        return List.copyOf(out);
    }

    /** An instant for messages: ISO-8601, or the raw number if it is out of {@link Instant}'s range. */
    public static String iso(long millis) {
        try {
            return Instant.ofEpochMilli(millis).toString();
        } catch (java.time.DateTimeException e) {
            return millis + " ms";
        }
    }

    /** {@code text} with control characters escaped and its length capped, safe to put in a message or log. */
    static String printable(String text) {
        StringBuilder b = new StringBuilder();
        int limit = Math.min(text.length(), 300);
        for (int i = 0; i < limit; i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return text.length() > limit ? b + "..." : b.toString();
    }
}
