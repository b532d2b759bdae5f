package dev.edgelink.discovery.mdns;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.multiaddr.Protocol;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.libp2p.threads.TaskGuard;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libp2p mDNS discovery (libp2p/specs discovery/mdns.md) over IPv4 multicast 224.0.0.251:5353, on the configured
 * interfaces only.
 *
 * <p>Every query interval it asks for PTR {@code _p2p._udp.local}; it answers such queries (and the DNS-SD meta
 * query {@code _services._dns-sd._udp.local}) with a PTR to {@code <peer-name>._p2p._udp.local} and, as an
 * additional record, a TXT record on that name with one {@code dnsaddr=<multiaddr>/p2p/<id>} string per address
 * we listen on there. The peer name is 32 random letters and digits, as the spec asks (it names nothing). Answers
 * from other peers reach the {@link MdnsPeerListener}; our own are ignored.
 *
 * <p>Why one socket per interface: each is bound to the mDNS port with SO_REUSEADDR, joins the group on its
 * interface only and sends with IP_MULTICAST_IF set to it, so nothing is sent elsewhere. Linux hands a socket the
 * group's packets from every interface some socket of the namespace joined, and Java cannot tell on which one a
 * packet arrived, so a packet whose source is outside the interface's IPv4 subnets is dropped.
 *
 * <p>A malformed or hostile packet is dropped and counted; one warning is logged at most every
 * {@link #WARN_INTERVAL_MS} ms, with the number of drops since. Any other exception while handling one packet is a
 * bug of ours on that packet: the packet is dropped and the failure reported to the {@link TaskGuard} as task
 * {@value #PACKET_TASK} (counted, logged rate-limited), and the receive thread goes on, since the next packet does
 * not depend on it. An {@link Error} ends the receive thread (in the agent, the process: see its
 * {@code FatalThreadHandler}). The periodic queries run on the given scheduler, whose owner decides what a failed
 * query does (the agent's counts it and queries again next time).
 */
public final class MdnsService implements AutoCloseable {

    public static final String SERVICE = "_p2p._udp.local";
    public static final String DNS_SD_META = "_services._dns-sd._udp.local";
    public static final String DNSADDR = "dnsaddr=";
    public static final InetAddress GROUP = ipv4(224, 0, 0, 251);
    static final long WARN_INTERVAL_MS = 10_000;
    /** The task name under which a packet that could not be handled is reported. */
    public static final String PACKET_TASK = "mdns-packet";

    private static final Logger LOG = LoggerFactory.getLogger(MdnsService.class);
    private static final String NAME_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final int TXT_STRING_MAX = 255;

    private final PeerId self;
    private final Supplier<List<Multiaddr>> listenAddresses;
    private final MdnsConfig config;
    private final ScheduledExecutorService scheduler;
    private final InstantSource clock;
    private final MdnsPeerListener listener;
    private final TaskGuard tasks;
    private final String peerName;
    private final List<Endpoint> endpoints = new CopyOnWriteArrayList<>();
    private final LongAdder dropped = new LongAdder();
    private final AtomicLong lastWarnMillis = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong droppedAtLastWarn = new AtomicLong();
    private volatile ScheduledFuture<?> queries;
    private volatile boolean closed;

    /** One configured interface: its socket and its IPv4 subnets. */
    private record Endpoint(String name, NetworkInterface nif, List<InterfaceAddress> v4, DatagramChannel channel) {
    }

    /**
     * @param self our peer id: answers naming it are ignored, and our addresses end in it
     * @param listenAddresses our TCP listen addresses, read at every answer (a wildcard address is announced as
     *     each IPv4 address of the interface)
     * @param scheduler runs the periodic queries
     * @param random draws the peer name
     * @param tasks where a packet that could not be handled is reported
     */
    public MdnsService(PeerId self, Supplier<List<Multiaddr>> listenAddresses, MdnsConfig config,
            ScheduledExecutorService scheduler, InstantSource clock, Random random, MdnsPeerListener listener,
            TaskGuard tasks) {
        this.self = self;
        this.listenAddresses = listenAddresses;
        this.config = config;
        this.scheduler = scheduler;
        this.clock = clock;
        this.listener = listener;
        this.tasks = tasks;
        tasks.track(PACKET_TASK);
        StringBuilder name = new StringBuilder();
        for (int i = 0; i < 32; i++) {
            name.append(NAME_ALPHABET.charAt(random.nextInt(NAME_ALPHABET.length())));
        }
        this.peerName = name.toString();
    }

    /**
     * Opens the sockets on every configured interface, then starts answering and querying.
     *
     * @throws ConfigurationException an interface does not exist, is down, cannot multicast or has no IPv4 address
     * @throws TransportException a socket could not be opened (nothing stays open)
     */
    public synchronized void start() {
        if (!endpoints.isEmpty() || closed) {
            throw new IllegalStateException("mdns service already started or closed");
        }
        try {
            for (String name : config.interfaces()) {
                endpoints.add(open(name));
            }
        } catch (RuntimeException e) {
            closeChannels();
            throw e;
        }
        for (Endpoint e : endpoints) {
            Thread t = new Thread(() -> receiveLoop(e), "edgelink-mdns-" + e.name());
            t.setDaemon(true);
            t.start();
        }
        queries = scheduler.scheduleWithFixedDelay(this::queryAll, 0, config.queryInterval().toMillis(),
                TimeUnit.MILLISECONDS);
        LOG.info("mdns started interfaces={} service={} peer={} name={}", config.interfaces(), SERVICE, self,
                peerName);
    }

    /** Packets dropped as malformed, hostile or from outside the interface's subnets, since start. */
    public long dropped() {
        return dropped.sum();
    }

    /** Our random peer name (the first label of our instance name). */
    public String peerName() {
        return peerName;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (queries != null) {
            queries.cancel(false);
        }
        closeChannels();
    }

    private Endpoint open(String name) {
        NetworkInterface nif = lookUp(name);
        List<InterfaceAddress> v4 = new ArrayList<>();
        for (InterfaceAddress a : nif.getInterfaceAddresses()) {
            if (a.getAddress() instanceof Inet4Address) {
                v4.add(a);
            }
        }
        if (v4.isEmpty()) {
            throw new ConfigurationException("mdns interface '" + name + "' has no IPv4 address; mDNS here is IPv4");
        }
        DatagramChannel ch = null;
        try {
            ch = DatagramChannel.open(StandardProtocolFamily.INET);
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.bind(new InetSocketAddress(config.port()));
            ch.setOption(StandardSocketOptions.IP_MULTICAST_IF, nif);
            ch.setOption(StandardSocketOptions.IP_MULTICAST_TTL, 255);
            ch.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, true);
            ch.join(GROUP, nif);
            return new Endpoint(name, nif, List.copyOf(v4), ch);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new TransportException("mdns: cannot open UDP port " + config.port() + " on interface '" + name
                    + "': " + e.getMessage(), e);
        }
    }

    private static NetworkInterface lookUp(String name) {
        try {
            NetworkInterface nif = NetworkInterface.getByName(name);
            if (nif == null) {
                List<String> known = new ArrayList<>();
                NetworkInterface.networkInterfaces().forEach(n -> known.add(n.getName()));
                throw new ConfigurationException("mdns interface '" + name + "' does not exist; this host has "
                        + known);
            }
            if (!nif.isUp()) {
                throw new ConfigurationException("mdns interface '" + name + "' is down");
            }
            if (!nif.supportsMulticast()) {
                throw new ConfigurationException("mdns interface '" + name + "' does not support multicast");
            }
            return nif;
        } catch (SocketException e) {
            throw new ConfigurationException("mdns interface '" + name + "' cannot be read: " + e.getMessage(), e);
        }
    }

    private void receiveLoop(Endpoint e) {
        ByteBuffer buf = ByteBuffer.allocate(config.limits().maxMessageBytes() + 1);
        while (!closed) {
            buf.clear();
            SocketAddress from;
            try {
                from = e.channel().receive(buf);
            } catch (ClosedChannelException ignored) {
                return;
            } catch (IOException ex) {
                LOG.warn("mdns receive failed: {} interface={}", ex.getMessage(), e.name());
                continue;
            }
            try {
                handle(e, (InetSocketAddress) from, buf.array(), buf.position());
            } catch (MalformedDnsException ex) {
                drop(e, from, ex.getMessage());
            } catch (RuntimeException ex) {
                dropped.increment();
                LOG.debug("mdns packet dropped, handling failed: {} interface={} remote={}", ex, e.name(), from);
                tasks.failed(PACKET_TASK, ex);
            }
        }
    }

    private void handle(Endpoint e, InetSocketAddress from, byte[] data, int length) throws MalformedDnsException {
        if (!onLink(e, from.getAddress())) {
            dropped.increment();
            LOG.trace("mdns packet from outside the subnets of interface={} remote={}", e.name(), from);
            return;
        }
        DnsMessage m = DnsCodec.decode(data, length, config.limits());
        if (m.response()) {
            onResponse(e, m);
        } else if (asksForUs(m)) {
            answer(e, from);
        }
    }

    private static boolean onLink(Endpoint e, InetAddress source) {
        if (!(source instanceof Inet4Address)) {
            return false;
        }
        int src = toInt(source);
        for (InterfaceAddress a : e.v4()) {
            int prefix = a.getNetworkPrefixLength();
            int mask = prefix == 0 ? 0 : -1 << (32 - prefix);
            if ((toInt(a.getAddress()) & mask) == (src & mask)) {
                return true;
            }
        }
        return false;
    }

    private static boolean asksForUs(DnsMessage m) {
        for (DnsMessage.Question q : m.questions()) {
            boolean type = q.type() == DnsMessage.TYPE_PTR || q.type() == DnsMessage.TYPE_ANY;
            if (type && (SERVICE.equalsIgnoreCase(q.name()) || DNS_SD_META.equalsIgnoreCase(q.name()))) {
                return true;
            }
        }
        return false;
    }

    /** Collects the peers a response names: PTR {@code _p2p._udp.local} targets, and their TXT dnsaddr strings. */
    private void onResponse(Endpoint e, DnsMessage m) {
        List<String> instances = new ArrayList<>();
        for (DnsMessage.Record r : m.allRecords()) {
            if (r.type() == DnsMessage.TYPE_PTR && SERVICE.equalsIgnoreCase(r.name())) {
                instances.add(r.target().toLowerCase(Locale.ROOT));
            }
        }
        Map<PeerId, List<Multiaddr>> found = new LinkedHashMap<>();
        for (DnsMessage.Record r : m.allRecords()) {
            if (r.type() != DnsMessage.TYPE_TXT || !instances.contains(r.name().toLowerCase(Locale.ROOT))) {
                continue;
            }
            for (String text : r.texts()) {
                addAddress(e, text, found);
            }
        }
        found.forEach((peer, addresses) -> {
            LOG.debug("mdns answer peer={} addresses={} interface={}", peer, addresses, e.name());
            listener.peerDiscovered(peer, List.copyOf(addresses), e.name());
        });
    }

    private void addAddress(Endpoint e, String text, Map<PeerId, List<Multiaddr>> found) {
        if (!text.regionMatches(true, 0, DNSADDR, 0, DNSADDR.length())) {
            return;
        }
        Multiaddr a;
        try {
            a = Multiaddr.fromString(text.substring(DNSADDR.length()));
        } catch (RuntimeException ex) {
            dropped.increment();
            LOG.debug("mdns TXT string is not a multiaddr: {} interface={}", ex.getMessage(), e.name());
            return;
        }
        String ip = a.valueOf(Protocol.IP4).orElse(a.valueOf(Protocol.IP6).orElse(""));
        if (isLoopbackText(ip) && !isLoopback(e)) {
            // a peer on the link cannot be reached at its loopback address; dialing it would reach a local process
            return;
        }
        a.peerId().filter(p -> !p.equals(self)).ifPresent(p -> found.computeIfAbsent(p, k -> new ArrayList<>())
                .add(a));
    }

    private void queryAll() {
        byte[] query = DnsCodec.encode(DnsMessage.query(List.of(
                new DnsMessage.Question(SERVICE, DnsMessage.TYPE_PTR, false))));
        for (Endpoint e : endpoints) {
            send(e, query, new InetSocketAddress(GROUP, config.port()));
        }
    }

    private void answer(Endpoint e, InetSocketAddress asker) {
        List<String> texts = new ArrayList<>();
        for (Multiaddr a : announced(e)) {
            String t = DNSADDR + a.withPeerId(self);
            if (t.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= TXT_STRING_MAX) {
                texts.add(t);
            }
        }
        if (texts.isEmpty()) {
            LOG.debug("mdns query not answered: no address to announce interface={}", e.name());
            return;
        }
        long ttl = config.ttl().toSeconds();
        String instance = peerName + "." + SERVICE;
        byte[] response = DnsCodec.encode(DnsMessage.response(List.of(DnsMessage.Record.ptr(SERVICE, ttl, instance)),
                List.of(DnsMessage.Record.txt(instance, ttl, texts))));
        send(e, response, new InetSocketAddress(GROUP, config.port()));
        if (asker.getPort() != config.port()) {
            // a one-shot (legacy) querier listens only on its own port
            send(e, response, asker);
        }
    }

    /**
     * Our TCP listen addresses as reachable on this interface: a wildcard ({@code 0.0.0.0}, or {@code ::}, which
     * the kernel makes dual-stack) becomes each IPv4 address of the interface; loopback addresses are announced
     * only on a loopback interface.
     */
    List<Multiaddr> announced(Endpoint e) {
        List<Multiaddr> out = new ArrayList<>();
        for (Multiaddr a : listenAddresses.get()) {
            String port = a.valueOf(Protocol.TCP).orElse(null);
            Optional<String> ip4 = a.valueOf(Protocol.IP4);
            Optional<String> ip6 = a.valueOf(Protocol.IP6);
            if (port == null || ip4.isEmpty() && ip6.isEmpty()) {
                continue;
            }
            if (ip4.filter("0.0.0.0"::equals).isPresent() || ip6.filter(MdnsService::isIpv6Wildcard).isPresent()) {
                for (InterfaceAddress ia : e.v4()) {
                    out.add(Multiaddr.fromString("/ip4/" + ia.getAddress().getHostAddress() + "/tcp/" + port));
                }
            } else if (isLoopback(e) || !isLoopbackText(ip4.orElse(ip6.orElse("")))) {
                out.add(a.withoutPeerId());
            }
        }
        return out;
    }

    private static boolean isIpv6Wildcard(String ip) {
        return "::".equals(ip) || "0:0:0:0:0:0:0:0".equals(ip);
    }

    private static boolean isLoopbackText(String ip) {
        return ip.startsWith("127.") || "::1".equals(ip) || "0:0:0:0:0:0:0:1".equals(ip);
    }

    private void send(Endpoint e, byte[] packet, InetSocketAddress to) {
        try {
            e.channel().send(ByteBuffer.wrap(packet), to);
        } catch (IOException ex) {
            if (!closed) {
                LOG.warn("mdns send failed: {} interface={} remote={}", ex.getMessage(), e.name(), to);
            }
        }
    }

    private void drop(Endpoint e, SocketAddress from, String why) {
        dropped.increment();
        long now = clock.millis();
        long last = lastWarnMillis.get();
        if (last != Long.MIN_VALUE && now - last < WARN_INTERVAL_MS) {
            LOG.debug("mdns packet dropped: {} interface={} remote={}", why, e.name(), from);
            return;
        }
        if (lastWarnMillis.compareAndSet(last, now)) {
            long total = dropped.sum();
            long since = total - droppedAtLastWarn.getAndSet(total);
            LOG.warn("mdns packet dropped: {} interface={} remote={} dropped-since-last-warning={}", why, e.name(),
                    from, since);
        }
    }

    private static boolean isLoopback(Endpoint e) {
        try {
            return e.nif().isLoopback();
        } catch (SocketException ex) {
            return false;
        }
    }

    private void closeChannels() {
        for (Endpoint e : endpoints) {
            closeQuietly(e.channel());
        }
        endpoints.clear();
    }

    private static void closeQuietly(DatagramChannel ch) {
        if (ch == null) {
            return;
        }
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }

    private static int toInt(InetAddress a) {
        byte[] b = a.getAddress();
        return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }

    private static InetAddress ipv4(int a, int b, int c, int d) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
