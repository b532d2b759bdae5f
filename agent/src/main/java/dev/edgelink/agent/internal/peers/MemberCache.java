package dev.edgelink.agent.internal.peers;

import dev.edgelink.discovery.MembershipStore;
import dev.edgelink.discovery.NodeRecords;
import dev.edgelink.discovery.SignedRecord;
import dev.edgelink.libp2p.peer.PeerId;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The members' signed records kept in the state directory, so that a restarted agent (also after {@code kill -9})
 * knows its peers at once instead of after the first gossip round. Without it, a restart on a slow or busy node
 * could reconcile before the peers were relearnt and remove routes that running pods use.
 *
 * <p>Nothing here is trusted: every record goes through {@link MembershipStore#offer} again, which checks the
 * signature, the sequence and the expiry, so a record that expired while the agent was down is simply not taken.
 * The file is rewritten atomically (temporary file, then rename), and only as often as {@link Schedule} allows: at
 * 1000 members it is about a megabyte, and an edge device's flash should not take that every second.
 *
 * <pre>
 *   "edgelink-members/1\n"  then per record:  u32 length (big-endian, 1..{@value #MAX_RECORD})  envelope bytes
 * </pre>
 */
final class MemberCache {
    private static final Logger LOG = LoggerFactory.getLogger(MemberCache.class);
    private static final byte[] MAGIC = "edgelink-members/1\n".getBytes(StandardCharsets.US_ASCII);
    /** Larger than any record the store accepts. */
    static final int MAX_RECORD = 64 * 1024;
    private final Path file;
    /** Records read or written at most (the view's capacity); a longer file is cut there. */
    private final int maxRecords;

    MemberCache(Path file, int maxRecords) {
        this.file = file;
        this.maxRecords = maxRecords;
    }

    /**
     * When the file is rewritten. A change of the view that matters after a restart (a member joined or left, a
     * record announces something new) is written at most every {@code minInterval}; a mere refresh (new sequence and
     * expiry, same content) at most every {@code refreshInterval}, which keeps the kept records valid for a restart
     * (a record is re-issued while it still has the refresh margin to live) at a fraction of the writes: at 1000
     * members, 3.3 records a second are refreshes. Whatever is pending is written on close. Pure: the caller gives
     * the time.
     */
    static final class Schedule {
        private final long minIntervalMillis;
        private final long refreshIntervalMillis;
        private long lastSaveMillis = Long.MIN_VALUE / 2;
        private boolean material;
        private boolean refreshed;

        Schedule(long minIntervalMillis, long refreshIntervalMillis) {
            this.minIntervalMillis = minIntervalMillis;
            this.refreshIntervalMillis = Math.max(minIntervalMillis, refreshIntervalMillis);
        }

        /**
         * The intervals for records that live {@code recordTtl} and are re-issued {@code refreshMargin} before they
         * expire: every {@link #SAVE_INTERVAL} at most (half the margin when that is shorter, as with the short
         * lifetimes of labs), a mere refresh every half margin at most.
         */
        static Schedule forRecords(Duration refreshMargin) {
            long half = refreshMargin.toMillis() / 2;
            return new Schedule(Math.min(SAVE_INTERVAL.toMillis(), half), half);
        }

        /** The view changed; {@code matters}: more than a refresh. */
        synchronized void changed(boolean matters) {
            if (matters) {
                material = true;
            } else {
                refreshed = true;
            }
        }

        /** Whether the file is to be written at {@code nowMillis}. */
        synchronized boolean due(long nowMillis) {
            if (material) {
                return nowMillis - lastSaveMillis >= minIntervalMillis;
            }
            return refreshed && nowMillis - lastSaveMillis >= refreshIntervalMillis;
        }

        /** Whether anything is waiting to be written (what a close writes). */
        synchronized boolean pending() {
            return material || refreshed;
        }

        /** The file was written at {@code nowMillis}, with everything changed until then. */
        synchronized void saved(long nowMillis) {
            lastSaveMillis = nowMillis;
            material = false;
            refreshed = false;
        }
    }

    /** The longest a changed view waits to be written. */
    static final Duration SAVE_INTERVAL = Duration.ofSeconds(30);

    /**
     * Offers every kept record but {@code self}'s to {@code store}.
     *
     * @return how many were accepted (0 when there is no file; a damaged file is logged and read up to the damage)
     */
    int restore(MembershipStore store, PeerId self, long nowMillis) {
        int accepted = 0;
        int read = 0;
        try (InputStream raw = Files.newInputStream(file); DataInputStream in = new DataInputStream(raw)) {
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!Arrays.equals(magic, MAGIC)) {
                LOG.warn("{} is not a member cache; ignored", file);
                return 0;
            }
            while (read < maxRecords) {
                byte[] envelope = next(in);
                if (envelope == null) {
                    break;
                }
                read++;
                accepted += offer(store, self, envelope, nowMillis) ? 1 : 0;
            }
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            LOG.warn("member cache {} is damaged after {} records: {}; the rest is relearnt from peers", file, read,
                    e.getMessage());
        }
        if (read > 0) {
            LOG.info("restored {} of {} kept member records ({} expired or superseded)", accepted, read,
                    read - accepted);
        }
        return accepted;
    }

    private static byte[] next(DataInputStream in) throws IOException {
        int length;
        try {
            length = in.readInt();
        } catch (EOFException e) {
            return null;
        }
        if (length < 1 || length > MAX_RECORD) {
            throw new IOException("record length " + length + " out of range 1.." + MAX_RECORD);
        }
        byte[] envelope = in.readNBytes(length);
        if (envelope.length != length) {
            throw new IOException("truncated record (" + envelope.length + " of " + length + " bytes)");
        }
        return envelope;
    }

    private static boolean offer(MembershipStore store, PeerId self, byte[] envelope, long nowMillis) {
        try {
            SignedRecord record = NodeRecords.verify(envelope);
            if (record.peerId().equals(self)) {
                return false;
            }
            return store.offer(record, nowMillis).isAccepted();
        } catch (RuntimeException e) {
            LOG.debug("kept member record refused: {}", e.toString());
            return false;
        }
    }

    /** Writes {@code members}; this node's own record may be among them (restore skips it). */
    void save(List<SignedRecord> members) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC);
            for (SignedRecord m : members.subList(0, Math.min(members.size(), maxRecords))) {
                byte[] e = m.envelope();
                out.writeInt(e.length);
                out.write(e);
            }
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(tmp, bytes.toByteArray());
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.warn("cannot keep member records in {}: {}; a restart relearns them from peers", file,
                    e.getMessage());
        }
    }
}
