package dev.edgelink.cni.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.cni.internal.codec.HttpCodec;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The launcher's HTTP form of a plugin call: heads as curl sends them, and every way a head can be refused. */
class HttpCodecTest {
    private static final int MAX_BODY = 4096;

    private static HttpCodec.Head decode(String head) {
        byte[] b = head.getBytes(StandardCharsets.ISO_8859_1);
        int len = HttpCodec.headLength(b, b.length);
        assertEquals(b.length, len, "head must end with an empty line");
        return HttpCodec.decodeHead(b, len, MAX_BODY);
    }

    @Test
    void aHeadAsCurlSendsItCarriesTheVariablesExactly() {
        HttpCodec.Head head = decode("POST /cni HTTP/1.1\r\nHost: edgelink\r\nUser-Agent: edgelink-cni\r\n"
                + "Content-Type: application/json\r\nCNI_COMMAND: ADD\r\nCNI_CONTAINERID: c1\r\n"
                + "cni_netns: /run/netns/x\r\nCNI_IFNAME: eth0\r\nCNI_ARGS: IgnoreUnknown=1;IP=10.0.0.9;A= b \r\n"
                + "CNI_PATH:/opt/cni/bin\r\nX-Other: ignored\r\nContent-Length: 42\r\n\r\n");
        assertEquals(Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "c1", "CNI_NETNS", "/run/netns/x",
                "CNI_IFNAME", "eth0", "CNI_ARGS", "IgnoreUnknown=1;IP=10.0.0.9;A= b ", "CNI_PATH", "/opt/cni/bin"),
                head.env());
        assertEquals(42, head.contentLength());
    }

    @Test
    void anIncompleteHeadHasNoLengthYet() {
        byte[] b = "POST /cni HTTP/1.1\r\nContent-Length: 1\r\n".getBytes(StandardCharsets.US_ASCII);
        assertEquals(-1, HttpCodec.headLength(b, b.length));
    }

    /** Heads with ~ for CRLF and ^ for a bare LF, and the status each must get. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "GET /cni HTTP/1.1~Content-Length: 0|405",
        "POST /other HTTP/1.1~Content-Length: 0|404",
        "POST /cni HTTP/2.0~Content-Length: 0|400",
        "POST /cni  HTTP/1.1~Content-Length: 0|400",
        "POST /cni HTTP/1.1|411",
        "POST /cni HTTP/1.1~Content-Length: 4097|413",
        "POST /cni HTTP/1.1~Content-Length: 99999999999|400",
        "POST /cni HTTP/1.1~Content-Length: -1|400",
        "POST /cni HTTP/1.1~Content-Length: 1~Content-Length: 1|400",
        "POST /cni HTTP/1.1~Transfer-Encoding: chunked|501",
        "POST /cni HTTP/1.1~CNI_COMMAND: ADD~CNI_COMMAND: DEL~Content-Length: 0|400",
        "POST /cni HTTP/1.1~CNI_ARGS: a\u0001b~Content-Length: 0|400",
        "POST /cni HTTP/1.1~CNI_ARGS: a\u00e9~Content-Length: 0|400",
        "POST /cni HTTP/1.1~no colon~Content-Length: 0|400",
        "POST /cni HTTP/1.1~bad name: x~Content-Length: 0|400",
        "POST /cni HTTP/1.1~: x~Content-Length: 0|400",
        "POST /cni HTTP/1.1~CNI_NETNS: a^b~Content-Length: 0|400",
    })
    void aBrokenHeadIsRefusedWithItsStatusAndACniError(String head, int status) {
        String raw = head.replace("~", "\r\n").replace("^", "\n") + "\r\n\r\n";
        HttpCodec.HttpException e = assertThrows(HttpCodec.HttpException.class, () -> decode(raw));
        assertEquals(status, e.status());
        int code = e.error().code();
        assertTrue(code == 101 || status == 413 && code == 6, "code " + code);
    }

    @Test
    void tooManyHeaderLinesAreRefused() {
        StringBuilder b = new StringBuilder("POST /cni HTTP/1.1\r\n");
        for (int i = 0; i <= HttpCodec.MAX_HEADERS; i++) {
            b.append("X-").append(i).append(": y\r\n");
        }
        b.append("Content-Length: 0\r\n\r\n");
        assertEquals(431, assertThrows(HttpCodec.HttpException.class, () -> decode(b.toString())).status());
    }

    @Test
    void aResponseCarriesItsBodyAndLength() {
        byte[] r = HttpCodec.encodeResponse(200, "{\"a\":1}\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\nConnection: close"
                + "\r\n\r\n{\"a\":1}\n", new String(r, StandardCharsets.UTF_8));
        String failure = new String(HttpCodec.encodeFailure(new HttpCodec.HttpException(413,
                new dev.edgelink.cni.CniException(dev.edgelink.cni.CniErrorCode.DECODING_FAILURE, "request too large",
                        "more than 4096 bytes"))), StandardCharsets.UTF_8);
        assertTrue(failure.startsWith("HTTP/1.1 413 Content Too Large\r\n"), failure);
        assertTrue(failure.endsWith("\r\n\r\n{\"cniVersion\":\"1.1.0\",\"code\":6,\"msg\":\"request too large\","
                + "\"details\":\"more than 4096 bytes\"}\n"), failure);
    }
}
