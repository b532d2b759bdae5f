package dev.edgelink.libp2p.transport;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.Socket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * TCP for libp2p: listen and dial on Netty, with the epoll transport when the native library loads (the normal
 * case on Linux) and NIO otherwise. Listening sockets set SO_REUSEADDR and SO_REUSEPORT, and a dial can be bound
 * to a local port, so that a later hole punch can dial out from the port peers already know.
 *
 * <p>The transport knows nothing of libp2p upgrades: each accepted or dialed channel is handed to the initializer
 * given by the host, which installs the upgrade pipeline.
 */
public final class TcpTransport implements AutoCloseable {

    private final EventLoopGroup group;
    private final boolean epoll;

    public TcpTransport(int threads) {
        this.epoll = Epoll.isAvailable();
        this.group = epoll ? new EpollEventLoopGroup(threads) : new NioEventLoopGroup(threads);
    }

    /** True when the native epoll transport is in use. */
    public boolean isEpoll() {
        return epoll;
    }

    public EventLoopGroup group() {
        return group;
    }

    /**
     * Bytes a connection's socket may hold that TCP has not sent yet ({@code TCP_NOTSENT_LOWAT}). Without it the
     * kernel grows a busy socket's send buffer to {@code tcp_wmem}'s maximum (4 MiB here), and on a slow or lossy
     * WAN that is hundreds of milliseconds of queue in front of every frame: pings and path probes time out behind
     * pod packets, and the tunnel's own bounded queues, where excess packets are dropped as a router would, never
     * fill. With it the backlog stays in our queues and the kernel keeps only what is in flight plus this much.
     * 128 KiB is a fraction of a millisecond at the speeds a node's event loop can feed.
     */
    static final long UNSENT_LOW_WATER = 128 * 1024L;

    /**
     * Listens on a {@code /ip4|ip6/.../tcp/PORT} address (port 0 picks one). Completes with the bound channel.
     */
    public CompletableFuture<Channel> listen(Multiaddr address, Consumer<SocketChannel> initializer) {
        InetSocketAddress bind = address.toTcpSocketAddress();
        if (bind.isUnresolved()) {
            throw new ConfigurationException("cannot listen on unresolved address " + address);
        }
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(serverChannelClass())
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(initializerOf(initializer));
        if (epoll) {
            bootstrap.option(EpollChannelOption.SO_REUSEPORT, true);
            bootstrap.childOption(EpollChannelOption.TCP_NOTSENT_LOWAT, UNSENT_LOW_WATER);
        }
        return toCompletable(bootstrap.bind(bind), "listen on " + address);
    }

    /**
     * Dials {@code address}. When {@code localPort} is positive the socket is bound to it first (with
     * SO_REUSEADDR/SO_REUSEPORT, so it can share the listen port).
     */
    public CompletableFuture<Channel> dial(Multiaddr address, Duration timeout, int localPort,
            Consumer<SocketChannel> initializer) {
        return dial(address, timeout, localPort > 0 ? new InetSocketAddress(localPort) : null, initializer);
    }

    /**
     * Dials {@code address}, from {@code local} when it is not null: the socket is bound to that address and port
     * first, with SO_REUSEADDR/SO_REUSEPORT so that it can share a listening socket's port (the TCP simultaneous
     * open of a hole punch dials from the listen port).
     */
    public CompletableFuture<Channel> dial(Multiaddr address, Duration timeout, InetSocketAddress local,
            Consumer<SocketChannel> initializer) {
        InetSocketAddress remote = address.toTcpSocketAddress();
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .handler(initializerOf(initializer));
        if (epoll) {
            bootstrap.option(EpollChannelOption.TCP_NOTSENT_LOWAT, UNSENT_LOW_WATER);
        }
        if (local != null && epoll) {
            // Netty's epoll client channel has no SO_REUSEPORT option: set it on the socket before bind
            bootstrap.channelFactory(TcpTransport::reusePortChannel);
        } else {
            bootstrap.channel(socketChannelClass());
        }
        ChannelFuture connect;
        if (local != null) {
            bootstrap.option(ChannelOption.SO_REUSEADDR, true);
            connect = bootstrap.connect(remote, local);
        } else {
            connect = bootstrap.connect(remote);
        }
        return toCompletable(connect, "dial " + address);
    }

    /** An epoll client socket with SO_REUSEPORT set, so that it can bind to a port a listener holds. */
    private static Channel reusePortChannel() {
        EpollSocketChannel channel = new EpollSocketChannel();
        try {
            ((Socket) channel.fd()).setReusePort(true);
        } catch (IOException e) {
            channel.unsafe().closeForcibly();
            throw new TransportException("cannot set SO_REUSEPORT on a dialing socket: " + e.getMessage(), e);
        }
        return channel;
    }

    private static ChannelInitializer<SocketChannel> initializerOf(Consumer<SocketChannel> initializer) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                initializer.accept(ch);
            }
        };
    }

    private static CompletableFuture<Channel> toCompletable(ChannelFuture future, String what) {
        CompletableFuture<Channel> result = new CompletableFuture<>();
        future.addListener(f -> {
            if (f.isSuccess()) {
                result.complete(future.channel());
            } else {
                Throwable cause = f.cause();
                result.completeExceptionally(new TransportException(what + " failed: " + cause.getMessage(), cause));
            }
        });
        return result;
    }

    private Class<? extends ServerChannel> serverChannelClass() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    private Class<? extends Channel> socketChannelClass() {
        return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
