package dev.edgelink.libp2p.yamux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.ConfigurationException;
import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class YamuxConfigTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        YamuxConfig c = YamuxConfig.DEFAULT;
        assertEquals(1000, c.maxInboundStreams());
        assertEquals(1000, c.maxOutboundStreams());
        assertEquals(256, c.maxAckBacklog());
        assertEquals(256 * 1024, c.initialReceiveWindow());
        assertEquals(16L << 20, c.maxReceiveWindow());
        assertEquals(16L << 20, c.maxInboundFrameSize());
        assertEquals(63 * 1024, c.maxOutboundFrameSize());
        assertTrue(c.maxOutboundFrameSize() + YamuxCodec.HEADER_LENGTH + 16 <= 65535, "fits one Noise message");
        assertEquals(1L << 20, c.streamHighWaterMark());
        assertEquals(512L << 10, c.streamLowWaterMark());
        assertEquals(8L << 20, c.maxStreamQueuedBytes());
        assertEquals(64L << 20, c.maxBufferedInboundBytes());
        assertEquals(Duration.ofSeconds(10), c.pingTimeout());
        assertEquals(c, c.toBuilder().build());
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                bad("maxInboundStreams", b -> b.maxInboundStreams(0)),
                bad("initialReceiveWindow", b -> b.initialReceiveWindow(256 * 1024 - 1)),
                bad("maxReceiveWindow", b -> b.maxReceiveWindow(1024)),
                bad("maxReceiveWindow", b -> b.maxReceiveWindow(1L << 32)),
                bad("streamHighWaterMark", b -> b.streamWaterMarks(2000, 1000)),
                bad("maxStreamQueuedBytes", b -> b.maxStreamQueuedBytes(1000)),
                bad("pingTimeout", b -> b.pingTimeout(Duration.ZERO)),
                bad("goAwayTimeout", b -> b.goAwayTimeout(Duration.ofSeconds(-1))));
    }

    private static Arguments bad(String setting, UnaryOperator<YamuxConfig.Builder> change) {
        return Arguments.of(setting, change);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void rejectsInvalidSettingNamingIt(String setting, UnaryOperator<YamuxConfig.Builder> change) {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> change.apply(YamuxConfig.builder()).build());
        assertTrue(e.getMessage().contains("yamux." + setting), e.getMessage());
    }
}
