package dev.edgelink.libp2p.yamux;

import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamMuxerContractTest;
import java.util.function.Consumer;

/** The muxer contract over real TCP on 127.0.0.1, with each session on its own event loop thread. */
class YamuxLoopbackContractTest extends StreamMuxerContractTest {

    @Override
    protected Pair connect(Consumer<MuxedStream> clientInbound, Consumer<MuxedStream> serverInbound) {
        return new LoopbackPair(YamuxConfig.DEFAULT, clientInbound, serverInbound);
    }

    @Override
    protected long maxBytesAcceptedWhileRemotePaused() {
        YamuxConfig c = YamuxConfig.DEFAULT;
        return c.initialReceiveWindow() + c.streamHighWaterMark() + MAX_CHUNK;
    }
}
