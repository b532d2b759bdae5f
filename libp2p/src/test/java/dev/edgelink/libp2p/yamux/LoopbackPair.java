package dev.edgelink.libp2p.yamux;

import static org.junit.jupiter.api.Assertions.fail;

import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamMuxer;
import dev.edgelink.libp2p.mux.StreamMuxerContractTest;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/** Two sessions over a real TCP connection on 127.0.0.1, each on its own event loop thread. */
final class LoopbackPair implements StreamMuxerContractTest.Pair {
    private final EventLoopGroup group = new NioEventLoopGroup(2);
    private final Channel serverListener;
    private final Channel clientChannel;
    private final YamuxSession client;
    private final YamuxSession server;

    LoopbackPair(YamuxConfig config, Consumer<MuxedStream> clientInbound, Consumer<MuxedStream> serverInbound) {
        WriteBufferWaterMark marks = new WriteBufferWaterMark(1024 * 1024, 2 * 1024 * 1024);
        CompletableFuture<YamuxSession> serverSession = new CompletableFuture<>();
        try {
            serverListener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, marks)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            YamuxSession s = new YamuxSession(YamuxRole.SERVER, config, serverInbound);
                            ch.pipeline().addLast(s);
                            serverSession.complete(s);
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            client = new YamuxSession(YamuxRole.CLIENT, config, clientInbound);
            clientChannel = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, marks)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(client)
                    .connect(serverListener.localAddress()).sync().channel();
            server = serverSession.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IllegalStateException("loopback pair did not connect", e);
        }
    }

    @Override
    public StreamMuxer client() {
        return client;
    }

    @Override
    public StreamMuxer server() {
        return server;
    }

    @Override
    public void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for: " + what);
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for: " + what);
            }
        }
    }

    @Override
    public void settle() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void shutdown() {
        clientChannel.close().syncUninterruptibly();
        serverListener.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
