package dev.edgelink.libp2p.noise;

import dev.edgelink.libp2p.crypto.Keys;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One Noise connection over 127.0.0.1, Java to Java: the client streams {@code BYTES} of plaintext in 64 KiB writes
 * (respecting channel writability), the server counts decrypted bytes; prints MB/s and Gbit/s. Run by hand like
 * {@link NoiseCipherBenchmark}; loopback only, bounded by size and a 120 s cap. Choose the transport cipher with
 * {@code -Dedgelink.noise.cipher=jdk|openssl} (default auto; the INFO line at the start says which one runs).
 */
public final class NoiseLoopbackBenchmark {

    private static final long BYTES = 2L << 30;
    private static final int CHUNK = 64 * 1024;

    private NoiseLoopbackBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        EventLoopGroup group = new NioEventLoopGroup(2);
        CountDownLatch done = new CountDownLatch(1);
        long[] counted = new long[1];
        try {
            Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(handler(NoiseHandshake.Role.RESPONDER), new Counter(counted, done));
                    }
                }).bind("127.0.0.1", 0).sync().channel();
            Channel client = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(handler(NoiseHandshake.Role.INITIATOR), new Sender());
                    }
                }).connect(server.localAddress()).sync().channel();
            long start = System.nanoTime();
            boolean finished = done.await(120, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("java %s, %s=%s: %s %d MiB in %.2f s = %.0f MB/s = %.2f Gbit/s%n",
                System.getProperty("java.version"), ChaChaPolySelector.PROPERTY,
                System.getProperty(ChaChaPolySelector.PROPERTY, "auto"), finished ? "moved" : "TIMED OUT after",
                counted[0] >> 20,
                seconds, counted[0] / 1e6 / seconds, counted[0] * 8 / 1e9 / seconds);
            client.close().sync();
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static NoiseHandshakeHandler handler(NoiseHandshake.Role role) {
        return new NoiseHandshakeHandler(Keys.generateEd25519(), role, null, List.of("/yamux/1.0.0"),
            Duration.ofSeconds(10), null, NoiseHandshakeHandler.DEFAULT_MAX_MESSAGE_SIZE);
    }

    /** Writes while the channel is writable, after the handshake. */
    private static final class Sender extends ChannelInboundHandlerAdapter {
        private long sent;
        private boolean secured;

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof NoiseSecured) {
                secured = true;
                pump(ctx);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            pump(ctx);
        }

        private void pump(ChannelHandlerContext ctx) {
            while (secured && sent < BYTES && ctx.channel().isWritable()) {
                ByteBuf buf = ctx.alloc().heapBuffer(CHUNK);
                buf.writerIndex(CHUNK);
                ctx.writeAndFlush(buf);
                sent += CHUNK;
            }
        }
    }

    private static final class Counter extends ChannelInboundHandlerAdapter {
        private final long[] counted;
        private final CountDownLatch done;

        Counter(long[] counted, CountDownLatch done) {
            this.counted = counted;
            this.done = done;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            counted[0] += buf.readableBytes();
            buf.release();
            if (counted[0] >= BYTES) {
                done.countDown();
            }
        }
    }
}
