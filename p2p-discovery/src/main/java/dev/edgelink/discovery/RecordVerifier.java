package dev.edgelink.discovery;

import dev.edgelink.libp2p.peer.PeerId;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies what members send, on one thread of its own: signature checks (tens of microseconds each) never run on
 * a connection's event loop, so a message of thousands of bad records stalls nobody's traffic.
 *
 * <p>A batch is one members message. Revocation lists go first, then records; a record the store already holds
 * in the same or a newer sequence is skipped before its signature is checked. The first record in a batch that
 * no honest member would forward (malformed, badly signed, signed by another key, a certificate that does not
 * match its record or is forged) ends the batch: the sender is reported once and paused by the caller. At most
 * {@link #MAX_QUEUED_BATCHES} batches and {@link #MAX_QUEUED_BYTES} bytes wait; more are dropped (anti-entropy
 * sends them again) and counted. An exchange sends its next message only after its last batch is verified, so
 * each exchange has one batch waiting at most.
 */
final class RecordVerifier implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RecordVerifier.class);

    /** Batches waiting at most: one per running exchange (inbound ones are bounded) and pushes. */
    static final int MAX_QUEUED_BATCHES = 256;
    /** Bytes of records and lists waiting at most. */
    static final long MAX_QUEUED_BYTES = 16L * 1024 * 1024;

    /** Rejections an honest forwarder cannot cause: it verified the same bytes before passing them on. */
    static final Set<RejectReason> FORGERIES = EnumSet.of(RejectReason.MALFORMED, RejectReason.BAD_SIGNATURE,
            RejectReason.PEER_ID_MISMATCH, RejectReason.CERTIFICATE_MISMATCH);

    /**
     * What one batch came to.
     *
     * @param remote who sent it
     * @param rejected rejections by reason
     * @param forgery the first forgery's reason and detail, if any
     * @param forgeries how many records of the batch were not looked at after it, plus one
     * @param news the records the store took that announce something new: a node it did not hold as a member, a
     *     changed record, a departure (not a mere refresh, {@link NodeRecord#sameAnnouncement})
     */
    record Verdicts(PeerId remote, Map<RejectReason, Long> rejected, Optional<String> forgery, int forgeries,
                    List<SignedRecord> news) {
    }

    private final MembershipStore store;
    private final InstantSource clock;
    private final Consumer<Verdicts> onVerdicts;
    private final ThreadPoolExecutor executor;
    private final LongAdder droppedBatches = new LongAdder();
    private final AtomicLong queuedBytes = new AtomicLong();

    RecordVerifier(MembershipStore store, InstantSource clock, Consumer<Verdicts> onVerdicts) {
        this.store = store;
        this.clock = clock;
        this.onVerdicts = onVerdicts;
        this.executor = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(MAX_QUEUED_BATCHES), r -> {
                    Thread t = new Thread(r, "edgelink-members-verify");
                    t.setDaemon(true);
                    return t;
                });
        executor.allowCoreThreadTimeOut(true);
    }

    /** Queues a batch; the future completes when it has been offered (or dropped). */
    CompletableFuture<Void> submit(PeerId remote, List<byte[]> revocations, List<byte[]> records) {
        long bytes = 0;
        for (byte[] b : revocations) {
            bytes += b.length;
        }
        for (byte[] b : records) {
            bytes += b.length;
        }
        long batchBytes = bytes;
        long total = queuedBytes.addAndGet(batchBytes);
        if (total > MAX_QUEUED_BYTES && total > batchBytes) {
            return dropped(remote, records, batchBytes);
        }
        try {
            return CompletableFuture.runAsync(() -> {
                queuedBytes.addAndGet(-batchBytes);
                verify(remote, revocations, records);
            }, executor);
        } catch (RejectedExecutionException e) {
            return dropped(remote, records, batchBytes);
        }
    }

    private CompletableFuture<Void> dropped(PeerId remote, List<byte[]> records, long batchBytes) {
        queuedBytes.addAndGet(-batchBytes);
        droppedBatches.increment();
        LOG.debug("members: verification queue full, {} records from peer={} dropped", records.size(), remote);
        return CompletableFuture.completedFuture(null);
    }

    /** Batches dropped because the queue was full. */
    long droppedBatches() {
        return droppedBatches.sum();
    }

    private void verify(PeerId remote, List<byte[]> revocations, List<byte[]> records) {
        Map<RejectReason, Long> rejected = new EnumMap<>(RejectReason.class);
        Optional<String> forgery = Optional.empty();
        int forgeries = 0;
        List<SignedRecord> news = new ArrayList<>();
        try {
            for (byte[] list : revocations) {
                OfferResult r = store.offerRevocation(list, clock.millis());
                r.reason().ifPresent(reason -> rejected.merge(reason, 1L, Long::sum));
            }
            for (int i = 0; i < records.size(); i++) {
                byte[] envelope = records.get(i);
                Optional<NodeRecords.Header> header = NodeRecords.peek(envelope);
                if (header.isPresent() && isHeld(header.get())) {
                    continue;
                }
                Optional<SignedRecord> before = header.flatMap(h -> store.record(h.peer()));
                OfferResult r = store.offer(envelope, clock.millis());
                if (r.isAccepted()) {
                    header.flatMap(h -> store.record(h.peer()).filter(held -> held.sequence() == h.sequence()))
                            .filter(now -> before.map(b -> !b.record().sameAnnouncement(now.record())).orElse(true))
                            .ifPresent(news::add);
                }
                if (r.reason().isEmpty()) {
                    continue;
                }
                rejected.merge(r.reason().get(), 1L, Long::sum);
                if (FORGERIES.contains(r.reason().get())) {
                    forgery = Optional.of(r.reason().get() + ": " + r.detail());
                    forgeries = records.size() - i;
                    break;
                }
            }
        } catch (RuntimeException e) {
            LOG.error("members: verifying records from peer={} failed", remote, e);
        }
        onVerdicts.accept(new Verdicts(remote, rejected, forgery, forgeries, news));
    }

    private boolean isHeld(NodeRecords.Header h) {
        return store.record(h.peer()).map(held -> held.sequence() >= h.sequence()).orElse(false);
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
