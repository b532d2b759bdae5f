package dev.edgelink.dataplane.tunnel;

import dev.edgelink.dataplane.path.ProbeResult;
import dev.edgelink.dataplane.tun.TunDevice;
import dev.edgelink.dataplane.tun.TunUnavailableException;
import dev.edgelink.libp2p.mux.ByteBudget;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.threads.TaskGuard;
import dev.edgelink.net.IpPrefix;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.FastThreadLocal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The userspace data path ("inside" is the TUN device, "outside" the peers' libp2p streams): one reader thread
 * takes packets from the TUN device, finds the peer whose pod CIDR holds the destination (a longest-prefix table in
 * memory) and queues the packet on that peer's {@link TunnelSession}; received frames are written back to the TUN
 * device on the stream's event loop. The reader never waits for a peer: a full queue drops the packet and counts
 * it, so a slow or stalled peer costs other peers nothing.
 *
 * <p>Memory: the reader reads into one buffer of its own and copies each packet into a buffer of the packet's size,
 * but only after the peer's queue and the service's {@link ByteBudget} ({@code totalQueueBytes}) took it; what
 * the budget refuses is dropped before anything is allocated. So what the network can make us hold is bounded in
 * bytes per peer and in total, whatever the packet sizes, and a packet's memory is exactly its bytes.
 *
 * <p>With offloads the device carries a virtio header per packet and the kernel hands over TCP segments of up to
 * 64 KiB; they cross the stream whole (it is TCP: no wire MTU applies) and the receiving kernel segments them when
 * they are written to its TUN device. Without (the kernel refused, or a peer lacks it) packets are MTU-sized.
 *
 * <p>Peers are named by node name. The agent tells the service which pod CIDRs lead to which node
 * ({@link #setPeer}) and hands it every tunnel stream with the node the connection was authenticated as
 * ({@link #attach}); it never sees libp2p hosts or peer ids. A packet for a known peer that has no stream is
 * dropped (counted in {@link #noPeerDrops}) and tells the demand listener ({@link #setDemandListener}) that the
 * peer is wanted, so that the connection is set up on the first packet, as nebula does.
 */
public final class TunnelService implements TunnelStreamSink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TunnelService.class);
    /** Frame header in front of the read packet; with a virtio header the plain frame starts 10 bytes later. */
    private static final int HEAD = TunnelFrames.HEADER;
    private static final int VNET = TunDevice.VNET_HDR_LEN;
    private static final int SMALL = 2048;
    private static final FastThreadLocal<ByteBuf> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected ByteBuf initialValue() {
            return Unpooled.directBuffer(VNET + 65536);
        }
    };

    private final TunnelConfig config;
    private final TunDevice device;
    private final boolean offloads;
    private final TunnelFrames.Hello localHello;
    private final LongSupplier nanoClock;
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private final PrefixTable<PeerSlot> table = new PrefixTable<>();
    private final Map<String, PeerSlot> slots = new ConcurrentHashMap<>();
    private final Set<TunnelSession> sessions = ConcurrentHashMap.newKeySet();
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong tokens = new AtomicLong();
    private final LongAdder noPeerDrops = new LongAdder();
    private final LongAdder readErrors = new LongAdder();
    private final LongAdder allocFailures = new LongAdder();
    private final ByteBudget budget;
    /** When the reader last came round its loop (it wakes at least every {@link #READER_WAKEUP_MS}). */
    private volatile long readerTurnNanos;
    /** A reader that has not come round for this long is not moving packets: probes fail. */
    static final long READER_STALL_NANOS = TimeUnit.SECONDS.toNanos(3);
    private static final int READER_WAKEUP_MS = 500;
    /** Event-loop threads inside {@link #deliver} now: the device is closed only when none is (fd reuse). */
    private final AtomicInteger writers = new AtomicInteger();
    private final ScheduledExecutorService timer;
    private final Thread reader;
    private volatile boolean closed;

    private record Pending(CompletableFuture<ProbeResult> future, long sentAt) {
    }

    /** The timer's thread and task names in the {@link TaskGuard}. */
    public static final String TIMER_TASK = "tunnel-timer";
    /** The demand listener hears of one peer at most once in this time, however many packets wait for it. */
    public static final Duration DEMAND_INTERVAL = Duration.ofSeconds(1);
    private static final long DEMAND_INTERVAL_NANOS = DEMAND_INTERVAL.toNanos();
    private volatile Consumer<String> demandListener;

    private TunnelService(TunnelConfig config, String localNode, TunDevice device, LongSupplier nanoClock,
                          TaskGuard tasks) {
        this.config = config;
        this.device = device;
        this.nanoClock = nanoClock;
        this.budget = new ByteBudget("tunnel.totalQueueBytes", config.totalQueueBytes());
        this.readerTurnNanos = nanoClock.getAsLong();
        this.offloads = device.vnetHeader() && device.enableOffloads();
        this.localHello = new TunnelFrames.Hello(TunnelFrames.VERSION, config.mtu(),
                device.vnetHeader() ? TunnelFrames.FEATURE_GSO : 0, localNode);
        this.timer = tasks.newScheduler("edgelink-tunnel-timer", TIMER_TASK);
        this.reader = new Thread(this::readLoop, "edgelink-tun-reader");
        this.reader.setDaemon(true);
    }

    /**
     * Starts the data path on an open device (the service owns it from now on and closes it).
     *
     * @param localNode our node name, sent in every HELLO
     */
    public static TunnelService start(TunnelConfig config, String localNode, TunDevice device, LongSupplier clock) {
        return start(config, localNode, device, clock, new TaskGuard());
    }

    /**
     * As {@link #start(TunnelConfig, String, TunDevice, LongSupplier)}, with the timer's failures (keepalives,
     * probe timeouts) counted by {@code tasks}: a failed round is counted and the next runs at its time.
     */
    public static TunnelService start(TunnelConfig config, String localNode, TunDevice device, LongSupplier clock,
                                      TaskGuard tasks) {
        Objects.requireNonNull(localNode, "localNode");
        if (!PooledByteBufAllocator.DEFAULT.directBuffer(1).hasMemoryAddress()) {
            device.close();
            throw new TunUnavailableException("direct buffers without a memory address (no sun.misc.Unsafe):"
                    + " the TUN path needs them", 0);
        }
        TunnelService s = new TunnelService(config, localNode, device, clock, tasks);
        s.reader.start();
        long every = config.keepalive().toNanos();
        s.timer.scheduleAtFixedRate(s::keepalive, every, every, TimeUnit.NANOSECONDS);
        LOG.info("userspace tunnel started device={} mtu={} offloads={} node={}", device.name(), config.mtu(),
                s.offloads, localNode);
        return s;
    }

    public TunnelConfig config() {
        return config;
    }

    /** True if the kernel hands us GSO segments (IFF_VNET_HDR and TSO accepted). */
    public boolean offloads() {
        return offloads;
    }

    public String deviceName() {
        return device.name();
    }

    /** Sends packets for {@code podCidrs} to {@code nodeName} (replacing the node's earlier prefixes). */
    public void setPeer(String nodeName, List<IpPrefix> podCidrs) {
        table.setPrefixes(slot(nodeName), podCidrs);
    }

    /** Forgets the node: its prefixes, and its stream is reset. */
    public void removePeer(String nodeName) {
        PeerSlot slot = slots.remove(nodeName);
        if (slot != null) {
            table.removeValue(slot);
            TunnelSession s = slot.session;
            if (s != null) {
                s.close();
                s.stream.reset();
            }
        }
    }

    /**
     * Tells {@code listener} the node name of a peer (known by {@link #setPeer}) for which a packet arrived from the
     * device while the peer had no stream, at most once per peer per {@link #DEMAND_INTERVAL}. Called on the timer
     * thread, never on the reader, so it must not block for long (it delays keepalives), never the packet path.
     * The packet itself is dropped. Null: nobody is told.
     */
    public void setDemandListener(Consumer<String> listener) {
        this.demandListener = listener;
    }

    private PeerSlot slot(String nodeName) {
        return slots.computeIfAbsent(nodeName, PeerSlot::new);
    }

    /**
     * Takes a negotiated {@code /edgelink/tunnel/1.0.0} stream (either direction) of the connection authenticated
     * as {@code nodeName}: sends our HELLO and carries packets once the peer's HELLO names that node. Call on the
     * stream's event loop (as protocol handlers are) or from any thread before the stream has data.
     */
    @Override
    public void attach(String nodeName, MuxedStream stream) {
        if (closed) {
            stream.reset();
            return;
        }
        TunnelSession s = new TunnelSession(this, slot(nodeName), stream);
        sessions.add(s);
        s.start();
    }

    /** Whether {@code nodeName} has a stream that completed the HELLO exchange. */
    public boolean connected(String nodeName) {
        PeerSlot slot = slots.get(nodeName);
        return slot != null && slot.session != null;
    }

    /** The stream that carries {@code nodeName}'s packets now, if any. */
    public Optional<MuxedStream> activeStream(String nodeName) {
        PeerSlot slot = slots.get(nodeName);
        TunnelSession s = slot == null ? null : slot.session;
        return s == null ? Optional.empty() : Optional.of(s.stream);
    }

    /** The nodes with counters here (every node given to {@link #setPeer} or {@link #attach}, until removed). */
    public List<String> peers() {
        return List.copyOf(slots.keySet());
    }

    /** Bytes {@code nodeName}'s outbound packets hold now (its queue and its stream's), 0 without a stream. */
    public long heldBytes(String nodeName) {
        PeerSlot slot = slots.get(nodeName);
        TunnelSession s = slot == null ? null : slot.session;
        return s == null ? 0 : s.heldBytes();
    }

    public Optional<PeerStats> stats(String nodeName) {
        return Optional.ofNullable(slots.get(nodeName)).map(PeerSlot::stats);
    }

    /** Packets read from the device whose destination is no known peer's (or whose peer has no stream). */
    public long noPeerDrops() {
        return noPeerDrops.sum();
    }

    /** The memory budget of all peers' outbound packets. */
    public ByteBudget memory() {
        return budget;
    }

    ByteBudget budget() {
        return budget;
    }

    /** Packets dropped because no direct memory could be had for them although the budget allowed them. */
    public long allocFailures() {
        return allocFailures.sum();
    }

    /**
     * Whether the TUN reader is running and came round its loop lately. A reader that does not is not moving any
     * peer's packets: {@link #probe} then fails, so the userspace paths fail their probes.
     */
    public boolean readerHealthy() {
        return reader.isAlive() && nanos() - readerTurnNanos < READER_STALL_NANOS;
    }

    /** Whether the reader thread has ended (it was started): the device failed under it, or we are closed. */
    public boolean readerStopped() {
        return !reader.isAlive();
    }

    /** Packets the kernel failed to hand over (a read error other than "nothing waiting"); the reader goes on. */
    public long readErrors() {
        return readErrors.sum();
    }

    /**
     * Measures the round trip to {@code nodeName} over its tunnel stream: a PING queued behind the peer's packets,
     * answered by a PONG queued behind the peer's. Fails at once if the node has no stream or the TUN reader is
     * not moving packets; after {@code timeout} without a PONG it fails unless the PING has left our queue and
     * frames from the peer arrived on the stream since (the path moves traffic both ways, only late).
     */
    public CompletableFuture<ProbeResult> probe(String nodeName, Duration timeout) {
        PeerSlot slot = slots.get(nodeName);
        TunnelSession s = slot == null ? null : slot.session;
        if (s == null || closed) {
            return CompletableFuture.completedFuture(ProbeResult.failure("no tunnel stream to " + nodeName));
        }
        if (!readerHealthy()) {
            return CompletableFuture.completedFuture(ProbeResult.failure("the TUN reader is not running (last turn "
                    + TimeUnit.NANOSECONDS.toMillis(nanos() - readerTurnNanos) + " ms ago)"));
        }
        long token = tokens.incrementAndGet();
        CompletableFuture<ProbeResult> f = new CompletableFuture<>();
        long sentAt = nanos();
        pending.put(token, new Pending(f, sentAt));
        s.sendPing(token);
        timer.schedule(() -> {
            Pending p = pending.remove(token);
            if (p == null) {
                return;
            }
            if (s.movedBothWaysSince(sentAt)) {
                // no PONG yet, but the PING left our queue and the peer's frames keep arriving on this stream: the
                // path carries traffic both ways and is only slower than the timeout (a loaded WAN or CPU), as
                // data counts as keepalive in WireGuard and nebula
                p.future().complete(ProbeResult.success(nanos() - sentAt));
            } else {
                p.future().complete(ProbeResult.failure("no pong from " + nodeName + " within "
                        + timeout.toMillis() + " ms" + (s.probeLeftQueueSince(sentAt) ? ", nothing received"
                        : ", the ping is still queued")));
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        return f;
    }

    // ---- called by sessions

    ByteBufAllocator alloc() {
        return alloc;
    }

    long nanos() {
        return nanoClock.getAsLong();
    }

    TunnelFrames.Hello localHello() {
        return localHello;
    }

    void pong(long token) {
        Pending p = pending.remove(token);
        if (p != null) {
            p.future().complete(ProbeResult.success(nanos() - p.sentAt()));
        }
    }

    /** The peer's HELLO arrived: this session carries the peer's packets from now on. */
    void activate(TunnelSession s) {
        TunnelSession loser = null;
        synchronized (s.slot) {
            TunnelSession old = s.slot.session;
            if (old != null && !old.isDead() && !preferred(s, old)) {
                loser = s;
            } else {
                loser = old;
                s.slot.session = s;
            }
        }
        if (loser != null && loser != s.slot.session) {
            LOG.info("duplicate tunnel stream closed peer={}", s.slot.nodeName);
            loser.close();
            loser.stream.reset();
        }
        if (s.slot.session == s) {
            LOG.info("tunnel up peer={} mtu={} gso={} outbound={}", s.slot.nodeName, s.remote().mtu(),
                    s.remote().gso(), s.stream.isOutbound());
        }
    }

    /** Of two streams to one peer both sides keep the one opened by the lower node name; if equal, the newer. */
    private boolean preferred(TunnelSession fresh, TunnelSession old) {
        String a = fresh.stream.isOutbound() ? localHello.nodeName() : fresh.slot.nodeName;
        String b = old.stream.isOutbound() ? localHello.nodeName() : old.slot.nodeName;
        return a.compareTo(b) <= 0;
    }

    void deactivate(TunnelSession s) {
        sessions.remove(s);
        synchronized (s.slot) {
            if (s.slot.session == s) {
                s.slot.session = null;
            }
        }
    }

    private void keepalive() {
        long now = nanos();
        for (TunnelSession s : sessions) {
            if (now - s.lastReceiveNanos > config.deadAfter().toNanos()) {
                s.stream.eventLoop().execute(() -> s.fail("nothing received for "
                        + config.deadAfter().toMillis() + " ms"));
            } else {
                s.sendPing(0);
            }
        }
    }

    // ---- the data path

    /**
     * The reader thread. Expected failures (a read error, a packet nobody takes) are counted and the loop goes
     * on; the device going away ends it with one log line. Anything else is a bug and escapes the thread, whose
     * uncaught-exception handler (the agent's) ends the process for its supervisor to restart it.
     */
    private void readLoop() {
        // Always room for the largest IP packet: someone may raise the device's MTU, and a packet that does not
        // fit would be lost by the kernel. Each packet is copied out into a buffer of its own size (dispatch).
        int capacity = (device.vnetHeader() ? VNET : 0) + 65535;
        ByteBuf buf = Unpooled.directBuffer(HEAD + capacity);
        try {
            while (!device.isClosed()) {
                readerTurnNanos = nanos();
                int n = device.read(buf.memoryAddress() + HEAD, capacity);
                if (n < 0) {
                    readErrors.increment();
                } else if (n == 0) {
                    device.awaitReadable(READER_WAKEUP_MS);
                } else {
                    dispatch(buf, n);
                }
            }
        } catch (TunUnavailableException e) {
            if (!closed) {
                LOG.error("TUN reader stopped: {} device={}", e.getMessage(), device.name());
            }
        } finally {
            buf.release();
        }
    }

    /** Frames the packet of {@code n} bytes at {@code HEAD} and queues a copy of it for its peer. */
    private void dispatch(ByteBuf buf, int n) {
        boolean vnet = device.vnetHeader();
        int ip = HEAD + (vnet ? VNET : 0);
        int ipLength = n - (vnet ? VNET : 0);
        PeerSlot slot = ipLength < 20 ? null : slotFor(buf, ip, ipLength);
        TunnelSession s = slot == null ? null : slot.session;
        if (s == null || s.isDead()) {
            if (slot != null) {
                demand(slot);
            }
            noPeerDrops.increment();
            return;
        }
        if (s.remote() == null) {
            noPeerDrops.increment(); // the stream is being opened: its HELLO has not arrived yet
            return;
        }
        if (!(vnet && s.remote().gso()) && ipLength > s.remote().mtu()) {
            s.slot.otherDrops.increment();
            return;
        }
        int from;
        if (!vnet) {
            TunnelFrames.setHeader(buf, 0, TunnelFrames.PACKET, n);
            from = 0;
        } else if (s.remote().gso()) {
            TunnelFrames.setHeader(buf, 0, TunnelFrames.PACKET_GSO, n);
            from = 0;
        } else if (buf.getByte(HEAD + 1) == 0) {
            if ((buf.getByte(HEAD) & 1) != 0) {
                completeChecksum(buf, HEAD + VNET, ipLength, buf.getUnsignedShortLE(HEAD + 6),
                        buf.getUnsignedShortLE(HEAD + 8));
            }
            TunnelFrames.setHeader(buf, VNET, TunnelFrames.PACKET, ipLength);
            from = VNET;
        } else {
            s.slot.otherDrops.increment();
            return;
        }
        int length = HEAD + n - from;
        ByteBuf copy = s.reserve(length) ? allocate(s, length) : null;
        if (copy == null) {
            return;
        }
        copy.writeBytes(buf, from, length);
        s.enqueue(copy);
    }

    /**
     * A buffer for a packet the budget already took. Direct memory can still run out (the budget bounds our
     * share, not the JVM's): then the packet is dropped and counted, as any packet we cannot hold, and the reader
     * goes on.
     */
    private ByteBuf allocate(TunnelSession s, int length) {
        try {
            return alloc.directBuffer(length, length);
        } catch (OutOfMemoryError e) {
            s.unreserve(length);
            allocFailures.increment();
            return null;
        }
    }

    /**
     * Does what the kernel left to the device ({@code VIRTIO_NET_HDR_F_NEEDS_CSUM}): the ones' complement sum from
     * {@code start} to the end, seeded with the pseudo-header sum the kernel put in the checksum field, stored at
     * {@code start + offset}. Needed only for a peer that takes no virtio headers.
     */
    static void completeChecksum(ByteBuf buf, int ip, int length, int start, int offset) {
        if (start + offset + 2 > length) {
            return;
        }
        long sum = 0;
        int i = ip + start;
        int end = ip + length;
        for (; i + 1 < end; i += 2) {
            sum += buf.getUnsignedShort(i);
        }
        if (i < end) {
            sum += buf.getUnsignedByte(i) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        int folded = (int) ~sum & 0xFFFF;
        buf.setShort(ip + start + offset, folded == 0 ? 0xFFFF : folded);
    }

    private PeerSlot slotFor(ByteBuf buf, int ip, int ipLength) {
        int version = buf.getUnsignedByte(ip) >>> 4;
        return version == 4 ? table.lookup(buf, ip + 16, false)
                : version == 6 && ipLength >= 40 ? table.lookup(buf, ip + 24, true) : null;
    }

    /** On the reader: hands the peer to the demand listener on the timer, unless it was told of it lately. */
    private void demand(PeerSlot slot) {
        Consumer<String> listener = demandListener;
        if (listener == null) {
            return;
        }
        long now = nanos();
        if (slot.demanded && now - slot.demandedAt < DEMAND_INTERVAL_NANOS) {
            return;
        }
        slot.demanded = true;
        slot.demandedAt = now;
        try {
            timer.execute(() -> listener.accept(slot.nodeName));
        } catch (RejectedExecutionException closing) {
            // the service is closing: nobody needs a connection for it any more
        }
    }

    /** On a stream's event loop: writes a received packet to the device, if its source belongs to the sender. */
    void deliver(TunnelSession s, ByteBuf packet, boolean gso) {
        writers.incrementAndGet();
        try {
            if (!closed) {
                writeToDevice(s, packet, gso);
            }
        } finally {
            writers.decrementAndGet();
        }
    }

    private void writeToDevice(TunnelSession s, ByteBuf packet, boolean gso) {
        int ip = packet.readerIndex() + (gso ? VNET : 0);
        int ipLength = packet.readableBytes() - (gso ? VNET : 0);
        boolean v6 = packet.getUnsignedByte(ip) >>> 4 == 6;
        if (table.lookup(packet, ip + (v6 ? 8 : 12), v6) != s.slot) {
            s.slot.spoofDrops.increment();
            return;
        }
        boolean written;
        if (device.vnetHeader() && !gso) {
            ByteBuf scratch = SCRATCH.get();
            scratch.setZero(0, VNET);
            scratch.setBytes(VNET, packet, packet.readerIndex(), ipLength);
            written = device.write(scratch.memoryAddress(), VNET + ipLength);
        } else if (packet.hasMemoryAddress()) {
            written = device.write(packet.memoryAddress() + packet.readerIndex(), packet.readableBytes());
        } else {
            ByteBuf scratch = SCRATCH.get();
            scratch.setBytes(0, packet, packet.readerIndex(), packet.readableBytes());
            written = device.write(scratch.memoryAddress(), packet.readableBytes());
        }
        if (written) {
            s.slot.rxPackets.increment();
            s.slot.rxBytes.add(ipLength);
        } else {
            s.slot.otherDrops.increment();
        }
    }

    /** Ends the reader, resets every stream, fails pending probes and closes the device (the kernel deletes it). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        device.wakeup();
        try {
            reader.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (TunnelSession s : sessions) {
            s.close();
            s.stream.reset();
        }
        timer.shutdownNow();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (writers.get() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        pending.values().forEach(p -> p.future().complete(ProbeResult.failure("tunnel closed")));
        pending.clear();
        device.close();
        LOG.info("userspace tunnel stopped device={}", device.name());
    }
}
