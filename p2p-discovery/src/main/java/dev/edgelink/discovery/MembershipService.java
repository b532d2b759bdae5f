package dev.edgelink.discovery;

import dev.edgelink.discovery.internal.members.Backoff;
import dev.edgelink.discovery.internal.members.ExchangeStream;
import dev.edgelink.discovery.internal.members.MembersCodec;
import dev.edgelink.discovery.internal.members.PushPullSession;
import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostListener;
import dev.edgelink.libp2p.host.Stream;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Membership over {@code /edgelink/members/1.0.0}: keeps the {@link MembershipStore} of every node in step by
 * push-pull anti-entropy, and keeps the mesh connected.
 *
 * <p>What it does, all on the injected scheduler (timers) and the connections' event loops (streams):
 * <ul>
 *   <li>publishes our own record, signed with the host's key, and re-issues it (sequence + 1, new expiry) once
 *       its remaining lifetime falls to {@link MembershipConfig#refreshMargin()};</li>
 *   <li>every gossip interval, runs one exchange with a random connected live member, and one with every peer
 *       we newly dial;</li>
 *   <li>dials the bootstrap peers with backoff until connected (and again after losing them), the peers a
 *       local discovery (mDNS) reports through {@link #discovered}, and the members it learns of by their records'
 *       listen addresses, so the mesh becomes fully connected;</li>
 *   <li>sweeps expired records every sweep interval;</li>
 *   <li>on {@link #leave()}, publishes a leaving record and pushes it to every connected peer.</li>
 * </ul>
 *
 * <p>The first sequence number is the issue time in unix milliseconds, later ones count up from it, so a node
 * that restarts without remembering its sequence still supersedes the records of its previous run.
 */
public final class MembershipService implements AutoCloseable {

    public static final String PROTOCOL = "/edgelink/members/1.0.0";

    private static final Logger LOG = LoggerFactory.getLogger(MembershipService.class);

    /** Lifecycle. */
    private enum State { NEW, RUNNING, LEFT, CLOSED }

    /** Records exchanged in one push-pull with a peer. */
    public record SyncResult(PeerId peer, int received, int sent) {
    }

    private final Host host;
    private final PrivKey key;
    private final MembershipStore store;
    private final MembershipConfig config;
    private final ScheduledExecutorService scheduler;
    private final InstantSource clock;
    private final Random random;
    private final MembersCodec.Limits limits;
    private final Map<Multiaddr, BootstrapPeer> bootstrap = new ConcurrentHashMap<>();
    private final Map<PeerId, Backoff> memberDials = new ConcurrentHashMap<>();
    private final Map<PeerId, DiscoveredPeer> discovered = new ConcurrentHashMap<>();
    private final Map<RejectReason, LongAdder> rejections = new EnumMap<>(RejectReason.class);
    private final AtomicInteger inboundExchanges = new AtomicInteger();
    /** Peers with an inbound exchange running: one at a time each. */
    private final Set<PeerId> inboundPeers = ConcurrentHashMap.newKeySet();
    /** Peers that sent forged or malformed records, until when their exchanges are refused. */
    private final Map<PeerId, Penalty> penalties = new ConcurrentHashMap<>();
    private final RecordVerifier verifier;
    private final List<ScheduledFuture<?>> timers = new CopyOnWriteArrayList<>();
    private volatile State state = State.NEW;
    private volatile NodeRecord template;
    private volatile SignedRecord local;

    /** A peer that sent records no honest member forwards; its exchanges are refused until {@code untilMillis}. */
    private static final class Penalty {
        final long untilMillis;
        final AtomicInteger refused = new AtomicInteger();

        Penalty(long untilMillis) {
            this.untilMillis = untilMillis;
        }
    }

    /** A bootstrap address: its dial backoff, and the peer it turned out to be when it had no /p2p. */
    private static final class BootstrapPeer {
        final Backoff backoff;
        volatile PeerId peer;

        BootstrapPeer(Backoff backoff, PeerId peer) {
            this.backoff = backoff;
            this.peer = peer;
        }
    }

    /** A peer found by local discovery: where it said it listens, when it last said so, and its dial backoff. */
    private static final class DiscoveredPeer {
        final Backoff backoff;
        volatile List<Multiaddr> addresses;
        volatile long lastSeenMillis;

        DiscoveredPeer(Backoff backoff) {
            this.backoff = backoff;
        }
    }

    /**
     * @param host our host; its identity key signs our records
     * @param store the view to keep in step (shared with whoever reads the membership)
     * @param scheduler runs every timer; a single thread is enough. A round that throws is left to the scheduler:
     *     give one from {@link dev.edgelink.libp2p.threads.TaskGuard#newScheduler}, which counts the failure and runs
     *     the round again next time (a plain one keeps the failure in a future nobody reads and stops the round)
     * @param clock the only source of time (record issue and expiry, backoff, sweeping)
     * @param random chooses gossip partners and jitters backoff
     */
    public MembershipService(Host host, MembershipStore store, MembershipConfig config,
            ScheduledExecutorService scheduler, InstantSource clock, Random random) {
        this.host = host;
        this.key = host.config().identity();
        this.store = store;
        this.config = config;
        this.scheduler = scheduler;
        this.clock = clock;
        this.random = random;
        this.limits = new MembersCodec.Limits(config.maxMessageBytes(), config.maxDigestEntries(),
                config.maxRecordsPerMessage());
        for (RejectReason r : RejectReason.values()) {
            rejections.put(r, new LongAdder());
        }
        for (Multiaddr a : config.bootstrapPeers()) {
            bootstrap.put(a, new BootstrapPeer(newBackoff(), a.peerId().orElse(null)));
        }
        this.verifier = new RecordVerifier(store, clock, this::onVerdicts);
    }

    /**
     * Publishes our record and starts serving, gossiping, dialing and sweeping.
     *
     * @param nodeTemplate what to announce: name, pod CIDRs, addresses, tunnels, site, relay role. Its peer id must
     *     be the host's; sequence, times and the leaving flag are set here, and an empty list of listen addresses
     *     is filled with the host's.
     */
    public synchronized void start(NodeRecord nodeTemplate) {
        if (state != State.NEW) {
            throw new IllegalStateException("membership service already started (" + state + ")");
        }
        if (!nodeTemplate.peerId().equals(host.peerId())) {
            throw new ConfigurationException("node record template names peer " + nodeTemplate.peerId()
                    + ", but this host is " + host.peerId());
        }
        template = nodeTemplate;
        publish(false, clock.millis());
        host.setHandler(PROTOCOL, this::serve);
        host.addListener(new HostListener() {
            @Override
            public void connectionOpened(Connection connection) {
                onConnection(connection);
            }
        });
        state = State.RUNNING;
        long gossip = config.gossipInterval().toMillis();
        long sweep = config.sweepInterval().toMillis();
        timers.add(scheduler.scheduleWithFixedDelay(this::gossipRound, 0, gossip, TimeUnit.MILLISECONDS));
        timers.add(scheduler.scheduleWithFixedDelay(this::sweep, sweep, sweep, TimeUnit.MILLISECONDS));
        LOG.info("membership started node={} peer={} bootstrap={}", nodeTemplate.nodeName(), host.peerId(),
                config.bootstrapPeers());
    }

    /** Announces a changed record (new addresses, capabilities...) with the next sequence number. */
    public synchronized SignedRecord update(NodeRecord nodeTemplate) {
        if (state != State.RUNNING) {
            throw new IllegalStateException("membership service is not running (" + state + ")");
        }
        template = nodeTemplate.toBuilder().peerId(host.peerId()).build();
        return publish(false, clock.millis());
    }

    /**
     * Leaves the mesh: publishes a record marked leaving, stops gossiping, and pushes the record to every peer we
     * are connected to. Completes when those exchanges have ended (each bounded by the exchange timeout). The
     * service keeps answering exchanges, so late peers learn of the departure too, until {@link #close()}.
     */
    public CompletableFuture<Void> leave() {
        synchronized (this) {
            if (state != State.RUNNING) {
                return CompletableFuture.completedFuture(null);
            }
            state = State.LEFT;
            cancelTimers();
            publish(true, clock.millis());
        }
        LOG.info("leaving the mesh node={} peer={} connections={}", template.nodeName(), host.peerId(),
                host.connections().size());
        List<CompletableFuture<?>> pushes = new ArrayList<>();
        for (Connection c : host.connections()) {
            pushes.add(syncWith(c).handle((r, e) -> null));
        }
        return CompletableFuture.allOf(pushes.toArray(CompletableFuture[]::new));
    }

    /** Stops timers and refuses further exchanges. Does not close the host. */
    @Override
    public synchronized void close() {
        state = State.CLOSED;
        cancelTimers();
        verifier.close();
    }

    /** Our current record. */
    public SignedRecord localRecord() {
        return local;
    }

    public PeerId localPeer() {
        return host.peerId();
    }

    public MembershipStore store() {
        return store;
    }

    /** Records received from peers and rejected, by reason, since start. */
    public Map<RejectReason, Long> rejections() {
        Map<RejectReason, Long> out = new EnumMap<>(RejectReason.class);
        rejections.forEach((r, n) -> out.put(r, n.sum()));
        return out;
    }

    /**
     * A peer found by local discovery (mDNS): it is dialed like a bootstrap peer (with backoff, first by the lower
     * peer id of the two), and an exchange follows the connection. It is forgotten once not reported again for a
     * record lifetime. A private-network key still gates the connection: being found is not being admitted.
     *
     * @param addresses where it listens; a trailing {@code /p2p} must name {@code peer}, others are dropped
     */
    public void discovered(PeerId peer, List<Multiaddr> addresses) {
        if (peer.equals(host.peerId()) || state != State.RUNNING) {
            return;
        }
        List<Multiaddr> usable = addresses.stream().filter(a -> a.peerId().map(peer::equals).orElse(true))
                .map(a -> a.withPeerId(peer)).toList();
        if (usable.isEmpty()) {
            return;
        }
        long now = clock.millis();
        DiscoveredPeer d = discovered.computeIfAbsent(peer, p -> {
            LOG.info("peer discovered peer={} addresses={}", p, usable);
            return new DiscoveredPeer(firstDialBackoff(p, now));
        });
        d.addresses = usable;
        d.lastSeenMillis = now;
    }

    /** Runs one push-pull exchange with the peer of {@code connection}. */
    public CompletableFuture<SyncResult> syncWith(Connection connection) {
        PeerId peer = connection.remotePeer();
        return connection.newStream(PROTOCOL)
                .thenCompose(s -> exchange(s, PushPullSession.Role.INITIATOR))
                .thenApply(r -> new SyncResult(peer, r.received(), r.sent()))
                .whenComplete((r, e) -> {
                    if (e != null) {
                        logFailure("members exchange failed", peer, e);
                    } else {
                        LOG.debug("members exchange done peer={} received={} sent={}", peer, r.received(), r.sent());
                    }
                });
    }

    private CompletableFuture<ExchangeStream.Result> exchange(Stream stream, PushPullSession.Role role) {
        PeerId remote = stream.connection().remotePeer();
        MembersCodec.Limits sized = new MembersCodec.Limits(acceptBytes(), limits.maxDigestEntries(),
                limits.maxRecords());
        View view = new View(remote, sized.maxMessageBytes());
        ExchangeStream ex = ExchangeStream.run(stream, new PushPullSession(role, view, sized), sized);
        try {
            ScheduledFuture<?> timeout = scheduler.schedule(
                    () -> ex.abort(new TransportException("members: exchange timed out after "
                            + config.exchangeTimeout().toMillis() + " ms")),
                    config.exchangeTimeout().toMillis(), TimeUnit.MILLISECONDS);
            ex.result().whenComplete((r, e) -> timeout.cancel(false));
        } catch (RejectedExecutionException e) {
            ex.abort(new TransportException("members: scheduler is shut down"));
        }
        // The exchange is done when what the remote sent has been verified and offered too.
        return ex.result().thenCompose(r -> view.verified.thenApply(v -> r));
    }

    /**
     * The largest members message we accept: what the records we hold need (a new node holds few and receives the
     * view over a few rounds), never more than {@link MembershipConfig#maxMessageBytes()}. A member cannot make us
     * buffer megabytes of records for a view of ten nodes.
     */
    int acceptBytes() {
        long lists = 0;
        for (var list : store.trust().revocations()) {
            lists += list.encoded().length;
        }
        long need = ACCEPT_BASE_BYTES + Math.max(ACCEPT_REVOCATION_BYTES, 2 * lists)
                + (long) ACCEPT_BYTES_PER_RECORD * (store.digest().size() + ACCEPT_SPARE_RECORDS);
        return (int) Math.min(need, config.maxMessageBytes());
    }

    /** Digest allowance: every digest entry a message may carry (4096 of at most 64 bytes). */
    static final int ACCEPT_BASE_BYTES = 256 * 1024;
    static final int ACCEPT_REVOCATION_BYTES = 64 * 1024;
    /** A record with its certificate is well under 1 KiB; twice that leaves room for many addresses. */
    static final int ACCEPT_BYTES_PER_RECORD = 2 * 1024;
    /** Room for new members beyond those held, so a view grows by at least this many per exchange. */
    static final int ACCEPT_SPARE_RECORDS = 64;

    /** Our side of one exchange: the store; what the remote sends is verified off the event loop. */
    private final class View implements PushPullSession.Local {
        private final PeerId remote;
        /** What we accept in this exchange: sized once at its start, the same for the decoder and the remote. */
        private final int acceptBytes;
        private volatile CompletableFuture<Void> verified = CompletableFuture.completedFuture(null);

        View(PeerId remote, int acceptBytes) {
            this.remote = remote;
            this.acceptBytes = acceptBytes;
        }

        @Override
        public Map<PeerId, Long> digest() {
            return store.digest();
        }

        @Override
        public Optional<SignedRecord> record(PeerId peer) {
            return store.record(peer);
        }

        @Override
        public Map<dev.edgelink.discovery.trust.Fingerprint, Long> revocationDigest() {
            return store.trust().revocationDigest();
        }

        @Override
        public Optional<byte[]> revocation(dev.edgelink.discovery.trust.Fingerprint ca) {
            return store.trust().revocation(ca).map(l -> l.encoded());
        }

        @Override
        public void offer(List<byte[]> revocations, List<byte[]> records) {
            verified = verifier.submit(remote, revocations, records);
        }

        @Override
        public int acceptBytes() {
            return acceptBytes;
        }
    }

    /** Counts what the verifier decided; a peer that sent forgeries is paused and logged once per interval. */
    private void onVerdicts(RecordVerifier.Verdicts v) {
        v.rejected().forEach((reason, n) -> rejections.get(reason).add(n));
        if (v.forgery().isEmpty()) {
            return;
        }
        long now = clock.millis();
        Penalty previous = penalties.get(v.remote());
        if (previous != null && previous.untilMillis > now) {
            return;
        }
        Penalty p = new Penalty(now + config.exchangeTimeout().toMillis() * PENALTY_EXCHANGE_TIMEOUTS);
        penalties.put(v.remote(), p);
        int earlier = previous == null ? 0 : previous.refused.get();
        LOG.warn("members: peer {} sent {} record(s) no honest member forwards ({}); its exchanges are refused for "
                + "{} s{}", v.remote(), v.forgeries(), v.forgery().get(),
                config.exchangeTimeout().toSeconds() * PENALTY_EXCHANGE_TIMEOUTS,
                earlier > 0 ? " (" + earlier + " exchanges refused in its last pause)" : "");
    }

    /** Whether exchanges with {@code peer} are refused now for the forgeries it sent. */
    public boolean paused(PeerId peer) {
        Penalty p = penalties.get(peer);
        return p != null && p.untilMillis > clock.millis();
    }

    /** A pause lasts this many exchange timeouts (30 s as shipped). */
    static final int PENALTY_EXCHANGE_TIMEOUTS = 3;

    /** Whether {@code peer} is paused for sending forgeries; counts the refusal. */
    private boolean penalized(PeerId peer) {
        Penalty p = penalties.get(peer);
        if (p == null) {
            return false;
        }
        if (p.untilMillis <= clock.millis()) {
            penalties.remove(peer, p);
            return false;
        }
        p.refused.incrementAndGet();
        return true;
    }

    private void serve(Stream stream) {
        if (state == State.NEW || state == State.CLOSED) {
            stream.reset();
            return;
        }
        PeerId peer = stream.connection().remotePeer();
        if (penalized(peer)) {
            LOG.debug("members exchange refused: the peer is paused for sending forged records peer={}", peer);
            stream.reset();
            return;
        }
        if (!inboundPeers.add(peer)) {
            LOG.debug("members exchange refused: one from this peer is already running peer={}", peer);
            stream.reset();
            return;
        }
        if (inboundExchanges.incrementAndGet() > config.maxConcurrentExchanges()) {
            inboundExchanges.decrementAndGet();
            inboundPeers.remove(peer);
            LOG.warn("members exchange refused: {} running, the limit maxConcurrentExchanges peer={}",
                    config.maxConcurrentExchanges(), peer);
            stream.reset();
            return;
        }
        exchange(stream, PushPullSession.Role.RESPONDER).whenComplete((r, e) -> {
            inboundExchanges.decrementAndGet();
            inboundPeers.remove(peer);
            if (e != null) {
                logFailure("members exchange failed", peer, e);
            }
        });
    }

    private void onConnection(Connection connection) {
        Backoff dial = memberDials.get(connection.remotePeer());
        if (dial != null) {
            dial.succeeded();
        }
        if (state != State.RUNNING || connection.direction() != Connection.Direction.OUTBOUND) {
            return;
        }
        try {
            scheduler.execute(() -> syncWith(connection));
        } catch (RejectedExecutionException e) {
            LOG.debug("scheduler is shut down; no exchange with new peer={}", connection.remotePeer());
        }
    }

    private void gossipRound() {
        if (state != State.RUNNING) {
            return;
        }
        long now = clock.millis();
        refreshIfDue(now);
        dialBootstrapPeers(now);
        dialDiscovered(now);
        dialMembers(now);
        List<Connection> candidates = new ArrayList<>();
        for (SignedRecord m : store.members()) {
            if (!m.peerId().equals(host.peerId()) && !penalties.containsKey(m.peerId())) {
                host.connection(m.peerId()).ifPresent(candidates::add);
            }
        }
        if (candidates.isEmpty()) {
            candidates.addAll(host.connections());
        }
        if (!candidates.isEmpty()) {
            syncWith(candidates.get(random.nextInt(candidates.size())));
        }
    }

    private void sweep() {
        long now = clock.millis();
        store.sweep(now);
        memberDials.keySet().removeIf(p -> store.member(p).isEmpty());
        if (state == State.RUNNING) {
            refreshIfDue(now);
        }
    }

    private synchronized void refreshIfDue(long now) {
        SignedRecord current = local;
        if (state == State.RUNNING && now >= current.record().expiresAtMillis() - config.refreshMargin().toMillis()) {
            publish(false, now);
        }
    }

    /** Signs the next record from the template and offers it to our own store, which is where gossip reads it. */
    private synchronized SignedRecord publish(boolean leaving, long now) {
        SignedRecord previous = local;
        long seq = previous == null ? Math.max(1, now) : previous.sequence() + 1;
        long expires = now + config.recordTtl().toMillis();
        if (leaving && previous != null) {
            // The tombstone must outlive every earlier record of ours, or an old copy could bring us back.
            expires = Math.max(expires, previous.record().expiresAtMillis());
        }
        if (template.certificate().isPresent()) {
            // A record must not outlive what the CA granted; near the end it is re-issued more often, and once the
            // certificate has expired nothing valid can be issued: the node drops out until it gets a new one.
            long notAfter = template.certificate().get().notAfterMillis();
            if (notAfter <= now + 1) {
                if (previous == null) {
                    throw new ConfigurationException("this node's certificate expired at "
                            + java.time.Instant.ofEpochMilli(notAfter) + "; have the CA sign a new one");
                }
                LOG.error("our certificate expired at {}: no record can be issued; renew it (trust.certFile) "
                        + "node={}", java.time.Instant.ofEpochMilli(notAfter), template.nodeName());
                return previous;
            }
            expires = Math.min(expires, notAfter);
        }
        NodeRecord.Builder b = template.toBuilder().sequence(seq).issuedAtMillis(now).expiresAtMillis(expires)
                .leaving(leaving);
        if (template.listenAddresses().isEmpty()) {
            b.listenAddresses(host.listenAddresses());
        }
        SignedRecord signed = NodeRecords.sign(key, b.build());
        local = signed;
        OfferResult result = store.offer(signed, now);
        if (!result.isAccepted()) {
            LOG.warn("our own record was not accepted by our store: {} node={} peer={} seq={}", result.detail(),
                    signed.nodeName(), signed.peerId(), seq);
        }
        return signed;
    }

    private void dialBootstrapPeers(long now) {
        bootstrap.forEach((address, b) -> {
            PeerId known = b.peer;
            if (known != null && host.connection(known).isPresent()) {
                return;
            }
            if (!b.backoff.tryStart(now)) {
                return;
            }
            host.connect(address).whenComplete((c, e) -> {
                if (e == null) {
                    b.peer = c.remotePeer();
                    b.backoff.succeeded();
                    LOG.info("bootstrap peer connected remote={} peer={}", address, c.remotePeer());
                } else {
                    long delay = b.backoff.failed(clock.millis());
                    LOG.info("bootstrap dial failed: {} remote={} retry-in-ms={}", rootMessage(e), address, delay);
                }
            });
        });
    }

    private void dialDiscovered(long now) {
        discovered.entrySet().removeIf(e -> now - e.getValue().lastSeenMillis > config.recordTtl().toMillis());
        discovered.forEach((peer, d) -> {
            if (host.connection(peer).isPresent() || !d.backoff.tryStart(now)) {
                return;
            }
            dialAny(peer, d.addresses, 0).whenComplete((c, e) -> {
                if (e == null) {
                    d.backoff.succeeded();
                    LOG.info("discovered peer connected peer={} remote={}", peer, c.remoteAddress());
                } else {
                    long delay = d.backoff.failed(clock.millis());
                    LOG.info("discovered peer dial failed: {} peer={} retry-in-ms={}", rootMessage(e), peer, delay);
                }
            });
        });
    }

    private void dialMembers(long now) {
        int started = 0;
        for (SignedRecord m : store.members()) {
            PeerId peer = m.peerId();
            List<Multiaddr> addresses = m.record().listenAddresses();
            if (started >= config.maxDialsPerRound()) {
                return;
            }
            if (peer.equals(host.peerId()) || addresses.isEmpty() || host.connection(peer).isPresent()) {
                continue;
            }
            Backoff backoff = memberDials.computeIfAbsent(peer, p -> firstDialBackoff(p, now));
            if (!backoff.tryStart(now)) {
                continue;
            }
            started++;
            dialAny(peer, addresses, 0).whenComplete((c, e) -> {
                if (e == null) {
                    backoff.succeeded();
                } else {
                    long delay = backoff.failed(clock.millis());
                    LOG.debug("member dial failed: {} node={} peer={} retry-in-ms={}", rootMessage(e),
                            m.nodeName(), peer, delay);
                }
            });
        }
    }

    private CompletableFuture<Connection> dialAny(PeerId peer, List<Multiaddr> addresses, int index) {
        return host.connect(addresses.get(index).withPeerId(peer)).exceptionallyCompose(e ->
                index + 1 < addresses.size() ? dialAny(peer, addresses, index + 1) : CompletableFuture.failedFuture(e));
    }

    /**
     * Of two members that learn of each other, the one with the lower peer id dials first; the other waits two
     * gossip intervals before dialing too. Simultaneous dials from both ends would each be upgraded and one of
     * the two then closed, which costs a round trip and sometimes both connections.
     */
    private Backoff firstDialBackoff(PeerId peer, long now) {
        Backoff backoff = newBackoff();
        if (host.peerId().compareTo(peer) > 0) {
            backoff.deferUntil(now + 2 * config.gossipInterval().toMillis());
        }
        return backoff;
    }

    private Backoff newBackoff() {
        return new Backoff(config.dialBackoffInitial().toMillis(), config.dialBackoffMax().toMillis(), random);
    }

    private void cancelTimers() {
        timers.forEach(t -> t.cancel(false));
        timers.clear();
    }

    private static void logFailure(String what, PeerId peer, Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof ProtocolViolationException) {
            LOG.warn("{}: {} peer={}", what, cause.getMessage(), peer);
        } else {
            LOG.debug("{}: {} peer={}", what, cause.getMessage(), peer);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        return cause.getMessage() != null ? cause.getMessage() : cause.toString();
    }
}
