package dev.edgelink.libp2p.multistream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvFileSource;

/** Our listener answers byte for byte what a js-libp2p listener answered to the same dialer bytes. */
class MultistreamJsCaptureTest {

    @ParameterizedTest(name = "{0}")
    @CsvFileSource(resources = "/multistream/js-listener.csv")
    void listenerAnswersLikeJsLibp2p(String name, String sentHex, String jsAnswerHex) {
        MultistreamNegotiation listener = MultistreamNegotiation.listener("/noise"::equals, () -> List.of("/noise"),
                MultistreamNegotiation.DEFAULT_MAX_ATTEMPTS);
        ByteArrayOutputStream ours = new ByteArrayOutputStream();
        ours.writeBytes(listener.start());
        ByteBuf in = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(sentHex));
        String message;
        while ((message = MultistreamCodec.decode(in, 1024)) != null) {
            ours.writeBytes(listener.onMessage(message));
        }
        assertEquals(jsAnswerHex, ByteBufUtil.hexDump(ours.toByteArray()));
    }
}
