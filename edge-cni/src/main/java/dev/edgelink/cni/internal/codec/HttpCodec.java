package dev.edgelink.cni.internal.codec;

import dev.edgelink.cni.CniErrorCode;
import dev.edgelink.cni.CniException;
import dev.edgelink.cni.CniVersions;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The HTTP/1.1 form of a plugin call, spoken on the agent's CNI socket so that the launcher can call the agent with
 * {@code curl --unix-socket} instead of starting a JVM. One request per connection; the connection closes after
 * the response.
 *
 * <pre>
 *  POST /cni HTTP/1.1                      method and target fixed; HTTP/1.0 or 1.1
 *  Host: edgelink
 *  CNI_COMMAND: ADD                        the CNI_* variables that are set and not empty, one header each,
 *  CNI_CONTAINERID: 3f5c...                  named exactly as the variable (matched ignoring case);
 *  CNI_NETNS: /run/netns/cni-1234            value = everything after "NAME:" and one optional space,
 *  CNI_IFNAME: eth0                          printable ASCII only (bytes 0x20..0x7e)
 *  CNI_ARGS: IgnoreUnknown=1;K8S_POD_NAME=a
 *  Content-Length: 312                     required; no Transfer-Encoding
 *
 *  { the stdin configuration, unchanged }
 *
 *  HTTP/1.1 200 OK                         exit 0: the body is the plugin's stdout (ADD's result, else empty)
 *  HTTP/1.1 500 CNI Error                  exit 1: the body is the plugin's stdout (a CNI error result)
 *  HTTP/1.1 4xx ...                        the request broke this codec: exit 1, body a CNI error result
 *  HTTP/1.1 421 Misdirected Request        the config's agentSocket is not this socket: nothing was done
 *  Content-Type: application/json
 *  Content-Length: n
 *  Connection: close
 * </pre>
 *
 * The launcher sends no value it cannot carry exactly (a variable with a byte outside 0x20..0x7e, or that starts
 * or ends with a space): it runs the JVM client for those instead. This class is pure: bytes to messages, it
 * throws {@link HttpException}.
 */
public final class HttpCodec {
    /** The one request target. */
    public static final String TARGET = "/cni";
    /** Status for a CNI error (exit 1). */
    public static final int CNI_ERROR = 500;
    /** Status when the config names another socket: the launcher then runs the JVM client. */
    public static final int MISDIRECTED = 421;
    /** At most this many header lines. */
    public static final int MAX_HEADERS = 32;

    private HttpCodec() {
    }

    /** A decoded request head: the CNI_* variables it carries and the body length. */
    public record Head(Map<String, String> env, int contentLength) {
    }

    /** The request broke the codec: the status to answer with and a CNI error for the body. */
    public static final class HttpException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int status;
        private final transient CniException error;

        public HttpException(int status, CniException error) {
            super(status + " " + error.getMessage(), error);
            this.status = status;
            this.error = error;
        }

        public int status() {
            return status;
        }

        public CniException error() {
            return error;
        }
    }

    /** The length of the head (through the empty line) in {@code buf[0..len)}, or -1 if it is not complete. */
    public static int headLength(byte[] buf, int len) {
        for (int i = 3; i < len; i++) {
            if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r') {
                return i + 1;
            }
        }
        return -1;
    }

    /** True if {@code first} bytes look like the start of an HTTP request rather than the JSON protocol. */
    public static boolean looksLikeHttp(byte first) {
        return first >= 'A' && first <= 'Z';
    }

    /** Decodes the head {@code buf[0..headLength)}; a body longer than {@code maxBody} is 413. */
    public static Head decodeHead(byte[] buf, int headLength, int maxBody) {
        String head = new String(buf, 0, headLength - 4, StandardCharsets.ISO_8859_1);
        String[] lines = head.split("\r\n", -1);
        if (lines.length - 1 > MAX_HEADERS) {
            throw bad(431, "more than " + MAX_HEADERS + " header lines");
        }
        String[] start = lines[0].split(" ", -1);
        if (start.length != 3 || !start[2].matches("HTTP/1\\.[01]")) {
            throw bad(400, "bad request line \"" + printable(lines[0]) + "\"");
        }
        if (!start[0].equals("POST")) {
            throw bad(405, "method " + printable(start[0]) + " (only POST)");
        }
        if (!start[1].equals(TARGET)) {
            throw bad(404, "target " + printable(start[1]) + " (only " + TARGET + ")");
        }
        Map<String, String> env = new LinkedHashMap<>();
        Integer length = null;
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            int colon = line.indexOf(':');
            if (colon <= 0 || !line.substring(0, colon).matches("[A-Za-z0-9_!#$%&'*+.^`|~-]+")) {
                throw bad(400, "bad header line \"" + printable(line) + "\"");
            }
            String name = line.substring(0, colon).toUpperCase(Locale.ROOT);
            String value = line.substring(line.startsWith(" ", colon + 1) ? colon + 2 : colon + 1);
            checkValue(name, value);
            if (name.equals("TRANSFER-ENCODING")) {
                throw bad(501, "Transfer-Encoding is not supported (send Content-Length)");
            } else if (name.equals("CONTENT-LENGTH")) {
                length = contentLength(length, value, maxBody);
            } else if (RequestCodec.VARIABLES.contains(name) && env.put(name, value) != null) {
                throw bad(400, "header " + name + " given twice");
            }
        }
        if (length == null) {
            throw bad(411, "Content-Length is missing");
        }
        return new Head(env, length);
    }

    private static void checkValue(String name, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw bad(400, "header " + printable(name) + " has a byte outside printable ASCII at " + i);
            }
        }
    }

    private static Integer contentLength(Integer seen, String value, int maxBody) {
        if (seen != null) {
            throw bad(400, "Content-Length given twice");
        }
        if (!value.matches("[0-9]{1,10}")) {
            throw bad(400, "bad Content-Length \"" + printable(value) + "\"");
        }
        long n = Long.parseLong(value);
        if (n > maxBody) {
            throw new HttpException(413, new CniException(CniErrorCode.DECODING_FAILURE, "request too large",
                    "more than " + maxBody + " bytes"));
        }
        return (int) n;
    }

    /** A response with {@code body} (the plugin's stdout). */
    public static byte[] encodeResponse(int status, byte[] body) {
        String head = "HTTP/1.1 " + status + " " + reason(status) + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = new byte[h.length + body.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(body, 0, out, h.length, body.length);
        return out;
    }

    /** A codec error as a response: its status and a CNI error result (current version) as the body. */
    public static byte[] encodeFailure(HttpException e) {
        String body = CniCodec.encodeError(e.error(), CniVersions.CURRENT) + "\n";
        return encodeResponse(e.status(), body.getBytes(StandardCharsets.UTF_8));
    }

    private static String reason(int status) {
        switch (status) {
            case 200:
                return "OK";
            case 400:
                return "Bad Request";
            case 404:
                return "Not Found";
            case 405:
                return "Method Not Allowed";
            case 411:
                return "Length Required";
            case 413:
                return "Content Too Large";
            case MISDIRECTED:
                return "Misdirected Request";
            case 431:
                return "Request Header Fields Too Large";
            case 501:
                return "Not Implemented";
            case 503:
                return "Service Unavailable";
            default:
                return "CNI Error";
        }
    }

    private static HttpException bad(int status, String details) {
        return new HttpException(status, new CniException(CniErrorCode.AGENT_PROTOCOL,
                "malformed HTTP request on the edgelink CNI socket", details));
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 80; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c <= 0x7e ? c : '?');
        }
        return b.toString();
    }
}
