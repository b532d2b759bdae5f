package dev.edgelink.dataplane.path.probe;

import dev.edgelink.dataplane.internal.netlink.NetworkNamespaces;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers path probes: bound to the node's tunnel address, so that a probe reaches it only through a path to this
 * node (the peers route that address through the path under test). Echoes each valid request as a reply of the
 * same size (no amplification); anything else is counted and dropped. One daemon platform thread, which goes on
 * after socket errors; any other exception is a bug of ours (every datagram a peer can send is decoded or refused)
 * and ends the thread, in the agent the process (its {@code FatalThreadHandler}): a node whose responder died would
 * look dead to every peer's probes.
 */
public final class UdpEchoResponder implements AutoCloseable {
    /** Default UDP port of the path probe (next to VXLAN's 8472). */
    public static final int DEFAULT_PORT = 8473;
    private static final Logger LOG = LoggerFactory.getLogger(UdpEchoResponder.class);

    private final DatagramChannel channel;
    private final Thread thread;
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    private UdpEchoResponder(DatagramChannel channel) {
        this.channel = channel;
        this.thread = new Thread(this::serve, "edgelink-probe-responder");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Binds in the caller's network namespace. */
    public static UdpEchoResponder start(InetAddress address, int port) {
        return new UdpEchoResponder(bind(address, port));
    }

    /** Binds in another network namespace ({@code /run/netns/NAME}); the socket stays there. */
    public static UdpEchoResponder start(Path namespace, InetAddress address, int port) {
        return new UdpEchoResponder(NetworkNamespaces.call(namespace, () -> bind(address, port)));
    }

    private static DatagramChannel bind(InetAddress address, int port) {
        try {
            DatagramChannel ch = DatagramChannel.open();
            ch.bind(new InetSocketAddress(address, port));
            return ch;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the probe responder to " + address.getHostAddress() + ":"
                    + port, e);
        }
    }

    private void serve() {
        ByteBuffer buf = ByteBuffer.allocate(64);
        while (channel.isOpen()) {
            try {
                buf.clear();
                SocketAddress from = channel.receive(buf);
                buf.flip();
                ProbePacket p;
                try {
                    p = ProbePacket.decode(buf);
                } catch (IllegalArgumentException e) {
                    dropped.incrementAndGet();
                    continue;
                }
                if (p.reply()) {
                    dropped.incrementAndGet();
                    continue;
                }
                channel.send(ByteBuffer.wrap(p.asReply().encode()), from);
                answered.incrementAndGet();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.debug("probe responder: {}", e.toString());
            }
        }
    }

    /** Requests answered so far. */
    public long answered() {
        return answered.get();
    }

    /** Datagrams that were not probe requests. */
    public long dropped() {
        return dropped.get();
    }

    public InetSocketAddress localAddress() {
        try {
            return (InetSocketAddress) channel.getLocalAddress();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
            thread.join(1000);
        } catch (IOException e) {
            LOG.debug("closing the probe responder: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
