package dev.edgelink.cni.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.cni.CniErrorCode;
import dev.edgelink.cni.CniException;
import dev.edgelink.cni.GcAttachment;
import dev.edgelink.cni.internal.Addresses;
import dev.edgelink.cni.internal.ipam.Allocation;
import dev.edgelink.cni.internal.ipam.IpPool;
import dev.edgelink.cni.internal.ipam.IpamStore;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IpamStoreTest {
    private static final IpPool POOL_24 = new IpPool(Addresses.parsePrefix("10.244.1.0/24"));
    private static final IpPool POOL_29 = new IpPool(Addresses.parsePrefix("10.244.1.0/29"));

    @TempDir
    Path dir;

    @Test
    void allocationsSkipReservedAddressesAndGoRoundRobin() {
        IpamStore store = IpamStore.open(dir, POOL_29);
        assertEquals("10.244.1.2", Addresses.format(store.allocate("n", "c1", "eth0", null).address()));
        assertEquals("10.244.1.3", Addresses.format(store.allocate("n", "c2", "eth0", null).address()));
        assertTrue(store.release("c1", "eth0"));
        assertEquals("10.244.1.4", Addresses.format(store.allocate("n", "c3", "eth0", null).address()),
                "a freed address is not reused at once");
        assertEquals("c2\neth0\nn\n", read("10.244.1.3"));
    }

    @Test
    void theSameAttachmentGetsItsAddressBack() {
        IpamStore store = IpamStore.open(dir, POOL_24);
        Allocation a = store.allocate("n", "c1", "eth0", null);
        assertEquals(a, store.allocate("n", "c1", "eth0", null));
        assertNotEquals(a.address(), store.allocate("n", "c1", "net1", null).address(), "other ifname, other IP");
    }

    @Test
    void manyThreadsNeverGetTheSameAddress() throws Exception {
        IpamStore shared = IpamStore.open(dir, POOL_24);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<InetAddress>> futures = new ArrayList<>();
            for (int i = 0; i < 253; i++) {
                String id = "c" + i;
                IpamStore store = i % 2 == 0 ? shared : IpamStore.open(dir, POOL_24);
                Callable<InetAddress> task = () -> store.allocate("n", id, "eth0", null).address();
                futures.add(pool.submit(task));
            }
            Set<InetAddress> seen = new HashSet<>();
            for (Future<InetAddress> f : futures) {
                assertTrue(seen.add(f.get()), "duplicate " + f.get());
            }
            assertEquals(253, seen.size());
            assertEquals(BigInteger.ZERO, shared.free());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRestartedStoreKeepsEveryAllocationAndTheCursor() {
        IpamStore before = IpamStore.open(dir, POOL_24);
        Allocation a = before.allocate("n", "c1", "eth0", null);
        before.allocate("n", "c2", "eth0", null);

        IpamStore after = IpamStore.open(dir, POOL_24);
        assertEquals(a, after.find("c1", "eth0").orElseThrow());
        assertEquals(2, after.list().size());
        assertEquals("10.244.1.4", Addresses.format(after.allocate("n", "c3", "eth0", null).address()));
    }

    @Test
    void aCrashBetweenCreateAndWriteKeepsTheAddressReservedUntilGc() throws Exception {
        Files.createFile(dir.resolve("10.244.1.2"));
        IpamStore store = IpamStore.open(dir, POOL_24);
        assertEquals("10.244.1.3", Addresses.format(store.allocate("n", "c1", "eth0", null).address()));
        assertEquals(CniErrorCode.ADDRESS_UNAVAILABLE, assertThrows(CniException.class,
                () -> store.allocate("n", "c2", "eth0", Addresses.parse("10.244.1.2"))).kind());
        assertEquals(1, store.gc("n", Set.of(new GcAttachment("c1", "eth0"))).size());
        assertFalse(Files.exists(dir.resolve("10.244.1.2")));
    }

    @Test
    void aRequestedAddressIsHonouredWhenFreeAndInRange() {
        IpamStore store = IpamStore.open(dir, POOL_24);
        InetAddress wanted = Addresses.parse("10.244.1.200");
        assertEquals(wanted, store.allocate("n", "c1", "eth0", wanted).address());
        assertEquals(wanted, store.allocate("n", "c1", "eth0", wanted).address(), "the same attachment again");

        CniException taken = assertThrows(CniException.class, () -> store.allocate("n", "c2", "eth0", wanted));
        assertEquals(CniErrorCode.ADDRESS_UNAVAILABLE, taken.kind());
        assertTrue(taken.details().contains("c1/eth0"), taken.details());
        for (String bad : List.of("10.244.1.0", "10.244.1.1", "10.244.1.255", "10.244.2.9")) {
            CniException e = assertThrows(CniException.class,
                    () -> store.allocate("n", "c3", "eth0", Addresses.parse(bad)));
            assertEquals(CniErrorCode.ADDRESS_UNAVAILABLE, e.kind(), bad);
        }
        CniException other = assertThrows(CniException.class,
                () -> store.allocate("n", "c1", "eth0", Addresses.parse("10.244.1.201")));
        assertTrue(other.details().contains("holds 10.244.1.200"), other.details());
        assertEquals(1, store.list().size());
    }

    @Test
    void exhaustionIsTryAgainLaterAndClearsWhenAnAddressIsReleased() {
        IpamStore store = IpamStore.open(dir, POOL_29);
        for (int i = 0; i < 5; i++) {
            store.allocate("n", "c" + i, "eth0", null);
        }
        CniException e = assertThrows(CniException.class, () -> store.allocate("n", "c9", "eth0", null));
        assertEquals(CniErrorCode.TRY_AGAIN_LATER, e.kind());
        assertTrue(e.msg().contains("10.244.1.0/29"), e.msg());
        assertEquals(BigInteger.ZERO, store.free());
        store.release("c3", "eth0");
        assertEquals("10.244.1.5", Addresses.format(store.allocate("n", "c9", "eth0", null).address()));
    }

    @Test
    void releaseIsIdempotent() {
        IpamStore store = IpamStore.open(dir, POOL_24);
        store.allocate("n", "c1", "eth0", null);
        assertTrue(store.release("c1", "eth0"));
        assertFalse(store.release("c1", "eth0"));
        assertFalse(store.release("never", "eth0"));
        assertEquals(List.of(), store.list());
    }

    @Test
    void gcRemovesOnlyThisNetworksEntriesThatAreNotValid() {
        IpamStore store = IpamStore.open(dir, POOL_24);
        store.allocate("n", "keep", "eth0", null);
        store.allocate("n", "gone", "eth0", null);
        store.allocate("n", "keep", "net1", null);
        store.allocate("other", "theirs", "eth0", null);

        List<Allocation> released = store.gc("n", Set.of(new GcAttachment("keep", "eth0"),
                new GcAttachment("keep", "net1")));
        assertEquals(List.of("gone"), released.stream().map(Allocation::containerId).collect(Collectors.toList()));
        assertEquals(Set.of("keep/eth0", "keep/net1", "theirs/eth0"), store.list().stream()
                .map(a -> a.containerId() + "/" + a.ifname()).collect(Collectors.toSet()));
        assertEquals(2, store.gc("n", Set.of()).size());
        assertEquals(1, store.list().size());
    }

    @Test
    void ipv6PoolsAllocateToo() {
        IpamStore store = IpamStore.open(dir, new IpPool(Addresses.parsePrefix("fd00:10:244:1::/64")));
        assertEquals("fd00:10:244:1::2", Addresses.format(store.allocate("n", "c1", "eth0", null).address()));
        assertTrue(Files.exists(dir.resolve("fd00:10:244:1::2")));
        assertEquals("fd00:10:244:1::3", Addresses.format(IpamStore.open(dir, store.pool())
                .allocate("n", "c2", "eth0", null).address()));
    }

    private String read(String name) {
        try {
            return Files.readString(dir.resolve(name));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
