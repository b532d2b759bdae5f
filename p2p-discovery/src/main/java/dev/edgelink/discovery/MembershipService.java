package dev.edgelink.discovery;

import dev.edgelink.discovery.internal.members.Backoff;
import dev.edgelink.discovery.internal.members.Exchange;
import dev.edgelink.discovery.internal.members.ExchangeStream;
import dev.edgelink.discovery.internal.members.MembersCodec;
import dev.edgelink.discovery.internal.members.PushPullSession;
import dev.edgelink.discovery.internal.members.Rumours;
import dev.edgelink.discovery.internal.members.ViewIndex;
import dev.edgelink.discovery.trust.Fingerprint;
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
import java.util.LinkedHashMap;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Membership over {@code /edgelink/members/2.0.0}: keeps the {@link MembershipStore} of every node in step, by
 * rumours for what is new and periodic anti-entropy for everything else, over the connections the node has.
 *
 * <p>Anti-entropy is range-based set reconciliation ({@link PushPullSession}): every gossip interval we compare our
 * view with one random connected member's by a hash of key ranges, descending only into ranges that differ. Two
 * views in step cost one summary each way (about 100 bytes) whatever the fleet's size; a first sync of thousands of
 * records is paged over as many turns as it needs, each message at most what the receiver said it accepts. Deltas
 * since the last exchange with each partner would be as cheap in step, but need state per partner that a restart or
 * a new partner loses; the range hashes need none and repair any difference, however it came about.
 *
 * <p>Rumours ({@code /edgelink/members/push/2.0.0}, {@link Rumours}): a record that is news to us (a new member, a
 * changed record, a departure) and recently issued, ours included, is announced at once to
 * {@link MembershipConfig#pushFanout()} random connected members other than the one it came from; each wants it only
 * if it is new to it too, and then spreads it the same way. A change reaches every node in O(log N) hops; the nodes
 * a rumour misses get it from the next exchanges. A mere refresh (same content, new sequence and expiry) is not
 * pushed: it has the refresh margin to spread, and anti-entropy takes O(log N) rounds; pushing each refresh to three
 * members would cost every node ten push streams a second at 1000 nodes.
 *
 * <p>What else it does, all on the injected scheduler (timers) and the connections' event loops (streams):
 * <ul>
 *   <li>publishes our own record, signed with the host's key, and re-issues it (sequence + 1, new expiry) once
 *       its remaining lifetime falls to {@link MembershipConfig#refreshMargin()};</li>
 *   <li>picks each round's partner among the live members and bootstrap peers it is connected to (any connection
 *       while it has none of those), and exchanges with every peer it newly dials;</li>
 *   <li>dials the bootstrap peers with backoff until connected (and again after losing them) and the peers a
 *       local discovery (mDNS) reports through {@link #discovered}; with {@link MembershipConfig#dialMembers()} it
 *       also dials the members it learns of by their records' listen addresses (a full mesh). Without, the
 *       connections to members are someone else's to make: {@link #needsPartners()} says when there are none;</li>
 *   <li>sweeps expired records every sweep interval;</li>
 *   <li>on {@link #leave()}, publishes a leaving record and pushes it to every connected peer.</li>
 * </ul>
 *
 * <p>The first sequence number is the issue time in unix milliseconds, later ones count up from it, so a node
 * that restarts without remembering its sequence still supersedes the records of its previous run.
 */
public final class MembershipService implements AutoCloseable {

    public static final String PROTOCOL = "/edgelink/members/2.0.0";
    public static final String PUSH_PROTOCOL = "/edgelink/members/push/2.0.0";

    private static final Logger LOG = LoggerFactory.getLogger(MembershipService.class);

    /** Lifecycle. */
    private enum State { NEW, RUNNING, LEFT, CLOSED }

    /** Records exchanged in one push-pull with a peer. */
    public record SyncResult(PeerId peer, int received, int sent) {
    }

    /**
     * What the members protocols cost since start: bytes of members messages each way (without the stream's
     * framing and encryption), exchanges and pushes run (as initiator or responder) and failed, records received
     * and sent in them, announcements queued for pushes and dropped before they went out.
     */
    public record Stats(long bytesIn, long bytesOut, long syncs, long syncFailures, long pushes, long pushFailures,
                        long recordsIn, long recordsOut, long announcements, long announcementsDropped) {
    }

    /** The index of the view at one store version. */
    private record IndexCache(long version, ViewIndex index) {
    }

    /** A record some exchange asked for: its sequence, and when. */
    private record Fetch(long seq, long sinceMillis) {
    }

    /** How long a fetch keeps others from asking for the same record, in gossip intervals. */
    static final int CLAIM_GOSSIP_INTERVALS = 2;

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
    /** Peers we run an exchange with: a gossip round does not start a second one (either way) with them. */
    private final Set<PeerId> outboundPeers = ConcurrentHashMap.newKeySet();
    /** Peers that sent forged or malformed records, until when their exchanges are refused. */
    private final Map<PeerId, Penalty> penalties = new ConcurrentHashMap<>();
    private final RecordVerifier verifier;
    private final List<ScheduledFuture<?>> timers = new CopyOnWriteArrayList<>();
    private final AtomicReference<IndexCache> indexCache = new AtomicReference<>(new IndexCache(-1,
            ViewIndex.EMPTY));
    /**
     * The newest sequence some exchange is fetching, per peer, and since when: one fetch of a record at a time, but
     * one that has not delivered within {@link #CLAIM_GOSSIP_INTERVALS} gossip intervals (a stalled exchange) no
     * longer keeps others from asking.
     */
    private final Map<PeerId, Fetch> fetching = new ConcurrentHashMap<>();
    private final Rumours rumours;
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    /** Peers with an inbound push running: one at a time each. */
    private final Set<PeerId> inboundPushers = ConcurrentHashMap.newKeySet();
    private final List<Runnable> partnerListeners = new CopyOnWriteArrayList<>();
    private volatile boolean needsPartners;
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();
    private final LongAdder syncs = new LongAdder();
    private final LongAdder syncFailures = new LongAdder();
    private final LongAdder pushes = new LongAdder();
    private final LongAdder pushFailures = new LongAdder();
    private final LongAdder recordsIn = new LongAdder();
    private final LongAdder recordsOut = new LongAdder();
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
        this.limits = new MembersCodec.Limits(config.maxMessageBytes(), config.maxRecords(), config.maxRecords());
        this.rumours = new Rumours(config.pushFanout(), config.maxRecords(), config.maxRecords(), random);
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
        host.setHandler(PUSH_PROTOCOL, this::servePush);
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

    /** What the members protocols cost since start. */
    public Stats stats() {
        return new Stats(bytesIn.sum(), bytesOut.sum(), syncs.sum(), syncFailures.sum(), pushes.sum(),
                pushFailures.sum(), recordsIn.sum(), recordsOut.sum(), rumours.announcements(), rumours.dropped());
    }

    /**
     * Whether this node knows other live members but is connected to none of them (nor to a bootstrap peer): no
     * exchange or rumour reaches it until someone connects it. Updated every gossip round.
     */
    public boolean needsPartners() {
        return needsPartners;
    }

    /**
     * Calls {@code listener} on the membership scheduler in every gossip round in which {@link #needsPartners()}
     * holds, so that whoever makes connections (a connection manager) can give it some. Must be quick.
     */
    public void addPartnerListener(Runnable listener) {
        partnerListeners.add(listener);
    }

    /** Runs one sync exchange with the peer of {@code connection}. */
    public CompletableFuture<SyncResult> syncWith(Connection connection) {
        PeerId peer = connection.remotePeer();
        outboundPeers.add(peer);
        return connection.newStream(PROTOCOL)
                .thenCompose(s -> exchange(s, PushPullSession.Role.INITIATOR, List.of()))
                .thenApply(r -> new SyncResult(peer, r.received(), r.sent()))
                .whenComplete((r, e) -> {
                    outboundPeers.remove(peer);
                    if (e != null) {
                        logFailure("members exchange failed", peer, e);
                    } else {
                        LOG.debug("members exchange done peer={} received={} sent={}", peer, r.received(), r.sent());
                    }
                });
    }

    /**
     * Runs one exchange on {@code stream}: a sync, or a push of {@code announce} when it is not empty (we push) or
     * the stream is a push's (we are pushed to).
     */
    private CompletableFuture<ExchangeStream.Result> exchange(Stream stream, PushPullSession.Role role,
            List<Exchange.Entry> announce) {
        PeerId remote = stream.connection().remotePeer();
        boolean push = PUSH_PROTOCOL.equals(stream.protocol());
        MembersCodec.Limits sized = new MembersCodec.Limits(acceptBytes(), limits.maxEntries(), limits.maxRecords());
        View view = new View(remote);
        PushPullSession session;
        if (!push) {
            session = PushPullSession.sync(role, view, sized);
        } else if (role == PushPullSession.Role.INITIATOR) {
            session = PushPullSession.pusher(view, sized, announce);
        } else {
            session = PushPullSession.pushed(view, sized);
        }
        ExchangeStream ex = ExchangeStream.run(stream, session);
        watch(ex, -1);
        return ex.result().whenComplete((r, e) -> {
            view.release();
            bytesIn.add(ex.bytesIn());
            bytesOut.add(ex.bytesOut());
            (push ? pushes : syncs).increment();
            if (e != null) {
                (push ? pushFailures : syncFailures).increment();
            } else {
                recordsIn.add(r.received());
                recordsOut.add(r.sent());
            }
        });
    }

    /**
     * Aborts {@code ex} if no message has gone either way within an exchange timeout: a long paged exchange lives
     * as long as it moves, a stalled one ends.
     */
    private void watch(ExchangeStream ex, int messagesBefore) {
        if (ex.result().isDone()) {
            return;
        }
        int messages = ex.messages();
        if (messages == messagesBefore) {
            ex.abort(new TransportException("members: no message for " + config.exchangeTimeout().toMillis()
                    + " ms (exchange timeout)"));
            return;
        }
        try {
            ScheduledFuture<?> next = scheduler.schedule(() -> watch(ex, messages),
                    config.exchangeTimeout().toMillis(), TimeUnit.MILLISECONDS);
            ex.result().whenComplete((r, e) -> next.cancel(false));
        } catch (RejectedExecutionException e) {
            ex.abort(new TransportException("members: scheduler is shut down"));
        }
    }

    /**
     * The largest members message we accept: what the records we hold need (a new node holds few and receives the
     * view in more, smaller pages), never more than {@link MembershipConfig#maxMessageBytes()}. A member cannot make
     * us buffer a megabyte of records for a view of ten nodes.
     */
    int acceptBytes() {
        long lists = 0;
        for (var list : store.trust().revocations()) {
            lists += list.encoded().length;
        }
        long need = ACCEPT_BASE_BYTES + Math.max(ACCEPT_REVOCATION_BYTES, 2 * lists)
                + (long) ACCEPT_BYTES_PER_RECORD * (index().size() + ACCEPT_SPARE_RECORDS);
        return (int) Math.min(need, config.maxMessageBytes());
    }

    /** Room for what is not records: range summaries, listings and wants of one turn. */
    static final int ACCEPT_BASE_BYTES = 64 * 1024;
    static final int ACCEPT_REVOCATION_BYTES = 64 * 1024;
    /** A record with its certificate is well under 1 KiB; twice that leaves room for many addresses. */
    static final int ACCEPT_BYTES_PER_RECORD = 2 * 1024;
    /** Room for new members beyond those held, so a page holds at least this many records. */
    static final int ACCEPT_SPARE_RECORDS = 64;

    /** The index of the view, rebuilt when the store has changed since the last one. */
    private ViewIndex index() {
        IndexCache cached = indexCache.get();
        long version = store.version();
        if (cached.version() == version) {
            return cached.index();
        }
        ViewIndex built = ViewIndex.of(store.digest(), cached.index());
        indexCache.set(new IndexCache(version, built));
        return built;
    }

    /** Our side of one exchange: the store; what the remote sends is verified off the event loop. */
    private final class View implements PushPullSession.Local {
        private final PeerId remote;
        /** What this exchange is fetching (see {@link #fetching}), released when it ends. */
        private final Map<PeerId, Fetch> claims = new ConcurrentHashMap<>();

        View(PeerId remote) {
            this.remote = remote;
        }

        @Override
        public ViewIndex index() {
            return MembershipService.this.index();
        }

        @Override
        public Optional<SignedRecord> record(PeerId peer) {
            return store.record(peer);
        }

        @Override
        public Map<Fingerprint, Long> revocationDigest() {
            return store.trust().revocationDigest();
        }

        @Override
        public Optional<byte[]> revocation(Fingerprint ca) {
            return store.trust().revocation(ca).map(l -> l.encoded());
        }

        @Override
        public CompletableFuture<Void> offer(List<byte[]> revocations, List<byte[]> records) {
            return verifier.submit(remote, revocations, records);
        }

        @Override
        public boolean claim(PeerId peer, long seq) {
            if (store.record(peer).map(held -> held.sequence() >= seq).orElse(false)) {
                return false;
            }
            long now = clock.millis();
            long stale = now - config.gossipInterval().toMillis() * CLAIM_GOSSIP_INTERVALS;
            Fetch mine = new Fetch(seq, now);
            Fetch held = fetching.compute(peer, (p, other) ->
                    other != null && other.seq() >= seq && other.sinceMillis() > stale ? other : mine);
            if (held != mine) {
                return false;
            }
            claims.put(peer, mine);
            return true;
        }

        void release() {
            claims.forEach(fetching::remove);
        }
    }

    /** Counts what the verifier decided; a peer that sent forgeries is paused and logged once per interval. */
    private void onVerdicts(RecordVerifier.Verdicts v) {
        v.rejected().forEach((reason, n) -> rejections.get(reason).add(n));
        long now = clock.millis();
        for (SignedRecord r : v.news()) {
            if (now - r.record().issuedAtMillis() <= config.pushMaxAge().toMillis()) {
                spread(r, v.remote());
            }
        }
        if (v.forgery().isEmpty()) {
            return;
        }
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
        serve(stream, inboundPeers, "exchange");
    }

    private void servePush(Stream stream) {
        serve(stream, inboundPushers, "push");
    }

    /** Answers an exchange or push: one of each kind per peer at a time, at most the configured number in all. */
    private void serve(Stream stream, Set<PeerId> running, String kind) {
        if (state == State.NEW || state == State.CLOSED) {
            stream.reset();
            return;
        }
        PeerId peer = stream.connection().remotePeer();
        if (penalized(peer)) {
            LOG.debug("members {} refused: the peer is paused for sending forged records peer={}", kind, peer);
            stream.reset();
            return;
        }
        if (!running.add(peer)) {
            LOG.debug("members {} refused: one from this peer is already running peer={}", kind, peer);
            stream.reset();
            return;
        }
        if (inboundExchanges.incrementAndGet() > config.maxConcurrentExchanges()) {
            inboundExchanges.decrementAndGet();
            running.remove(peer);
            LOG.warn("members {} refused: {} running, the limit maxConcurrentExchanges peer={}", kind,
                    config.maxConcurrentExchanges(), peer);
            stream.reset();
            return;
        }
        exchange(stream, PushPullSession.Role.RESPONDER, List.of()).whenComplete((r, e) -> {
            inboundExchanges.decrementAndGet();
            running.remove(peer);
            if (e != null) {
                logFailure("members " + kind + " failed", peer, e);
            }
        });
    }

    /**
     * Announces {@code record}, new to us, to up to {@code pushFanout} connected members other than {@code from}
     * (null for our own) and its own node.
     */
    private void spread(SignedRecord record, PeerId from) {
        if (config.pushFanout() == 0 || state == State.NEW || state == State.CLOSED) {
            return;
        }
        List<PeerId> candidates = new ArrayList<>(partners().keySet());
        Set<PeerId> exclude = from == null ? Set.of(record.peerId()) : Set.of(record.peerId(), from);
        if (!rumours.spread(new Exchange.Entry(record.peerId(), record.sequence()), candidates, exclude).isEmpty()) {
            scheduleFlush();
        }
    }

    private void scheduleFlush() {
        if (flushScheduled.compareAndSet(false, true)) {
            try {
                scheduler.execute(this::flushRumours);
            } catch (RejectedExecutionException e) {
                LOG.debug("scheduler is shut down; rumours not pushed");
            }
        }
    }

    /** Starts a push to every target that has announcements waiting and none running. */
    private void flushRumours() {
        flushScheduled.set(false);
        if (state == State.NEW || state == State.CLOSED) {
            return;
        }
        for (PeerId target : rumours.ready()) {
            Optional<Connection> connection = host.connection(target);
            if (connection.isEmpty()) {
                rumours.drop(target);
                continue;
            }
            List<Exchange.Entry> announce = rumours.take(target, limits.maxEntries());
            if (announce.isEmpty()) {
                continue;
            }
            connection.get().newStream(PUSH_PROTOCOL)
                    .thenCompose(s -> exchange(s, PushPullSession.Role.INITIATOR, announce))
                    .whenComplete((r, e) -> {
                        if (e != null) {
                            logFailure("members push failed", target, e);
                        }
                        if (rumours.finished(target)) {
                            scheduleFlush();
                        }
                    });
        }
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
        if (config.dialMembers()) {
            dialMembers(now);
        }
        List<Connection> candidates = new ArrayList<>(partners().values());
        needsPartners = candidates.isEmpty() && index().size() > 1;
        if (needsPartners) {
            partnerListeners.forEach(Runnable::run);
        }
        if (candidates.isEmpty()) {
            // Nothing better: any peer we are connected to, e.g. one found by mDNS whose record we do not have yet.
            candidates.addAll(host.connections());
        }
        // A pair already in an exchange (a first sync paged over many turns) is left to finish it.
        candidates.removeIf(c -> outboundPeers.contains(c.remotePeer()) || inboundPeers.contains(c.remotePeer()));
        if (!candidates.isEmpty()) {
            syncWith(candidates.get(random.nextInt(candidates.size())));
        }
    }

    /**
     * Who we exchange with and push to: the live members and bootstrap peers we are connected to, one connection
     * each, none paused for sending forgeries.
     */
    private Map<PeerId, Connection> partners() {
        Map<PeerId, Connection> out = new LinkedHashMap<>();
        for (Connection c : host.connections()) {
            PeerId peer = c.remotePeer();
            if (peer.equals(host.peerId()) || out.containsKey(peer) || penalties.containsKey(peer)) {
                continue;
            }
            if (isBootstrapPeer(peer) || store.member(peer).isPresent()) {
                out.put(peer, c);
            }
        }
        return out;
    }

    private boolean isBootstrapPeer(PeerId peer) {
        for (BootstrapPeer b : bootstrap.values()) {
            if (peer.equals(b.peer)) {
                return true;
            }
        }
        return false;
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
        } else if (previous != null && !previous.record().sameAnnouncement(signed.record())) {
            spread(signed, null);
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
