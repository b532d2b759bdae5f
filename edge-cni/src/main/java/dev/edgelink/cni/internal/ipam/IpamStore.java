package dev.edgelink.cni.internal.ipam;

import dev.edgelink.cni.CniErrorCode;
import dev.edgelink.cni.CniException;
import dev.edgelink.cni.GcAttachment;
import dev.edgelink.cni.internal.Addresses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The crash-safe IPAM store, laid out as the reference host-local plugin lays out its own (facts, not code):
 *
 * <pre>
 *  DIR/10.244.1.2     one file per allocated address, made with O_CREAT|O_EXCL, written and fsync'ed,
 *  DIR/10.244.1.3     then the directory fsync'ed. Content, one per line: container id, ifname, network name.
 *  DIR/cursor         the last address handed out (round robin, so a freed address is not reused at once);
 *                     replaced by write-fsync-rename, so it is always whole
 *  DIR/lock           flock'ed (plus a lock per directory inside this JVM) around every operation
 * </pre>
 *
 * Why this never hands out an address twice: the address file is the allocation, and O_EXCL lets only one creator
 * win even without the lock. A crash before the create leaves nothing; a crash after it leaves an entry (maybe
 * empty, owner unknown) that keeps the address reserved until DEL or GC removes it. A restart reads the directory
 * and nothing else, so a new instance over the same directory sees every allocation.
 *
 * <p>Errors: I/O is code 5; a requested address that is taken or not usable is 103; no free address is 11.
 */
public final class IpamStore {
    /** At most this many candidates are tried per allocation (an IPv6 /64 is never scanned whole). */
    public static final int MAX_SCAN = 1 << 20;
    private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();
    private static final String LOCK = "lock";
    private static final String CURSOR = "cursor";

    private final Path dir;
    private final IpPool pool;
    private final ReentrantLock jvmLock;

    private IpamStore(Path dir, IpPool pool) {
        this.dir = dir;
        this.pool = pool;
        this.jvmLock = JVM_LOCKS.computeIfAbsent(dir, d -> new ReentrantLock());
    }

    /** Opens (creating if needed, mode 0700 by the umask of root) the store in {@code dir}. */
    public static IpamStore open(Path dir, IpPool pool) {
        try {
            Files.createDirectories(dir);
            return new IpamStore(dir.toRealPath(), pool);
        } catch (IOException e) {
            throw io("cannot open the IPAM store " + dir, e);
        }
    }

    public IpPool pool() {
        return pool;
    }

    public Path directory() {
        return dir;
    }

    /**
     * Allocates an address to {@code (containerId, ifname)} in {@code network}: the {@code requested} one if given
     * (code 103 if it is taken or reserved or outside the pool), else the next free one after the cursor (code 11
     * if there is none). If the attachment already holds an address (an ADD retried after a crash), that one is
     * returned.
     */
    public Allocation allocate(String network, String containerId, String ifname, InetAddress requested) {
        return locked(() -> {
            List<Allocation> all = scan();
            for (Allocation a : all) {
                if (a.isFor(containerId, ifname)) {
                    if (requested != null && !requested.equals(a.address())) {
                        throw new CniException(CniErrorCode.ADDRESS_UNAVAILABLE, "container already has an address",
                                containerId + "/" + ifname + " holds " + Addresses.format(a.address())
                                        + ", not the requested " + Addresses.format(requested));
                    }
                    return a;
                }
            }
            Allocation wanted = new Allocation(null, containerId, ifname, network);
            return requested != null ? allocateRequested(requested, wanted, all) : allocateNext(wanted, all);
        });
    }

    private Allocation allocateRequested(InetAddress requested, Allocation owner, List<Allocation> all) {
        String why = pool.whyNotUsable(requested);
        if (why != null) {
            throw new CniException(CniErrorCode.ADDRESS_UNAVAILABLE, "requested address is not usable", why);
        }
        if (!tryCreate(requested, owner)) {
            String holder = all.stream().filter(a -> a.address().equals(requested)).findFirst()
                    .map(a -> a.ownerKnown() ? a.containerId() + "/" + a.ifname() : "an unfinished allocation")
                    .orElse("another process");
            throw new CniException(CniErrorCode.ADDRESS_UNAVAILABLE, "requested address is in use",
                    Addresses.format(requested) + " is allocated to " + holder);
        }
        return withAddress(owner, requested);
    }

    private Allocation allocateNext(Allocation owner, List<Allocation> all) {
        Set<InetAddress> taken = new HashSet<>();
        all.forEach(a -> taken.add(a.address()));
        BigInteger tries = pool.size().min(BigInteger.valueOf(MAX_SCAN));
        InetAddress candidate = readCursor();
        for (long i = 0; i < tries.longValue(); i++) {
            candidate = pool.next(candidate);
            if (!taken.contains(candidate) && tryCreate(candidate, owner)) {
                writeCursor(candidate);
                return withAddress(owner, candidate);
            }
        }
        throw new CniException(CniErrorCode.TRY_AGAIN_LATER, "no free address in pod CIDR "
                + Addresses.format(pool.cidr()), taken.size() + " addresses are allocated, " + pool.size()
                + " exist; delete pods, or give this node a larger pod CIDR");
    }

    private static Allocation withAddress(Allocation owner, InetAddress address) {
        return new Allocation(address, owner.containerId(), owner.ifname(), owner.network());
    }

    /** The address held by {@code (containerId, ifname)}, if any. */
    public Optional<Allocation> find(String containerId, String ifname) {
        return locked(() -> scan().stream().filter(a -> a.isFor(containerId, ifname)).findFirst());
    }

    /** Every entry, owners unknown included. */
    public List<Allocation> list() {
        return locked(this::scan);
    }

    /** Releases what {@code (containerId, ifname)} holds; {@code false} if it held nothing (not an error). */
    public boolean release(String containerId, String ifname) {
        return locked(() -> {
            boolean any = false;
            for (Allocation a : scan()) {
                if (a.isFor(containerId, ifname)) {
                    delete(a);
                    any = true;
                }
            }
            if (any) {
                syncDirectory();
            }
            return any;
        });
    }

    /**
     * Releases every entry of {@code network} whose attachment is not in {@code valid}, and every entry whose
     * owner is unknown (a crashed allocation; GC never runs concurrently with ADD). Entries of other networks are
     * kept. Returns what was released.
     */
    public List<Allocation> gc(String network, Set<GcAttachment> valid) {
        return locked(() -> {
            List<Allocation> released = new ArrayList<>();
            for (Allocation a : scan()) {
                boolean stale = !a.ownerKnown() || a.network().equals(network)
                        && !valid.contains(new GcAttachment(a.containerId(), a.ifname()));
                if (stale) {
                    delete(a);
                    released.add(a);
                }
            }
            if (!released.isEmpty()) {
                syncDirectory();
            }
            return released;
        });
    }

    /** How many addresses of the pool are free. */
    public BigInteger free() {
        return locked(() -> {
            long used = scan().stream().filter(a -> pool.isUsable(a.address())).count();
            return pool.size().subtract(BigInteger.valueOf(used));
        });
    }

    // ---- files

    private List<Allocation> scan() {
        List<Allocation> out = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                InetAddress address = addressOf(p.getFileName().toString());
                if (address != null) {
                    out.add(read(p, address));
                }
            }
        } catch (IOException e) {
            throw io("cannot read the IPAM store " + dir, e);
        }
        return out;
    }

    private static InetAddress addressOf(String fileName) {
        try {
            return Addresses.parse(fileName);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Allocation read(Path p, InetAddress address) throws IOException {
        String[] lines;
        try {
            lines = Files.readString(p, StandardCharsets.UTF_8).split("\n");
        } catch (NoSuchFileException e) {
            lines = new String[0];
        }
        if (lines.length < 3 || lines[0].isEmpty()) {
            return new Allocation(address, "", "", "");
        }
        return new Allocation(address, lines[0], lines[1], lines[2]);
    }

    /** O_EXCL create + write + fsync; {@code false} if the address file exists. */
    private boolean tryCreate(InetAddress address, Allocation owner) {
        Path file = dir.resolve(Addresses.format(address));
        byte[] content = (owner.containerId() + "\n" + owner.ifname() + "\n" + owner.network() + "\n")
                .getBytes(StandardCharsets.UTF_8);
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            throw io("cannot create " + file, e);
        }
        try (ch) {
            ch.write(ByteBuffer.wrap(content));
            ch.force(true);
        } catch (IOException e) {
            deleteQuietly(file);
            throw io("cannot write " + file, e);
        }
        syncDirectory();
        return true;
    }

    private void delete(Allocation a) {
        try {
            Files.deleteIfExists(dir.resolve(Addresses.format(a.address())));
        } catch (IOException e) {
            throw io("cannot release " + Addresses.format(a.address()), e);
        }
    }

    private InetAddress readCursor() {
        try {
            InetAddress last = addressOf(Files.readString(dir.resolve(CURSOR), StandardCharsets.UTF_8).trim());
            return last != null && pool.isUsable(last) ? last : null;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw io("cannot read the IPAM cursor", e);
        }
    }

    private void writeCursor(InetAddress address) {
        Path tmp = dir.resolve(CURSOR + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap((Addresses.format(address) + "\n").getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        } catch (IOException e) {
            throw io("cannot write the IPAM cursor", e);
        }
        try {
            Files.move(tmp, dir.resolve(CURSOR), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw io("cannot replace the IPAM cursor", e);
        }
        syncDirectory();
    }

    private void syncDirectory() {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            throw io("cannot fsync the IPAM store " + dir, e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // the entry stays, owner unknown: the address is reserved until GC, never handed out twice
        }
    }

    private <T> T locked(Supplier<T> body) {
        jvmLock.lock();
        try (FileChannel ch = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock ignored = ch.lock()) {
            return body.get();
        } catch (IOException e) {
            throw io("cannot lock the IPAM store " + dir, e);
        } catch (UncheckedIOException e) {
            throw io("IPAM store " + dir, e.getCause());
        } finally {
            jvmLock.unlock();
        }
    }

    private static CniException io(String what, IOException e) {
        return new CniException(CniErrorCode.IO_FAILURE, what, String.valueOf(e.getMessage()), e);
    }
}
