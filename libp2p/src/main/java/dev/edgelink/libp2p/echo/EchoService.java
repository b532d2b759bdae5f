package dev.edgelink.libp2p.echo;

import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.Stream;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import io.netty.buffer.ByteBuf;

/**
 * {@code /echo/1.0.0}: every byte received is sent back; the remote's half-close is answered with ours. Reading
 * pauses while our side of the stream is not writable, so a client that does not read its echo stops being read
 * itself instead of making us buffer.
 */
public final class EchoService {

    public static final String PROTOCOL = "/echo/1.0.0";

    private EchoService() {
    }

    public static void register(Host host) {
        host.setHandler(PROTOCOL, EchoService::serve);
    }

    static void serve(Stream stream) {
        stream.setListener(new StreamListener() {
            @Override
            public void onData(MuxedStream s, ByteBuf data) {
                s.write(data);
                if (!s.isWritable()) {
                    s.setAutoRead(false);
                }
            }

            @Override
            public void onWritabilityChanged(MuxedStream s) {
                s.setAutoRead(s.isWritable());
            }

            @Override
            public void onRemoteClose(MuxedStream s) {
                s.closeWrite();
            }
        });
    }
}
