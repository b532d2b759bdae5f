package dev.edgelink.agent.internal.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.discovery.MembershipStore;
import dev.edgelink.discovery.NodeRecord;
import dev.edgelink.discovery.NodeRecords;
import dev.edgelink.discovery.SignedRecord;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.peer.PeerId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemberCacheTest {
    private static final long NOW = 1_700_000_000_000L;

    @TempDir
    Path dir;

    private final PrivKey self = Keys.generateEd25519();
    private final PrivKey a = Keys.generateEd25519();
    private final PrivKey b = Keys.generateEd25519();

    private static SignedRecord record(PrivKey key, String name, String cidr, long expiresAt) {
        return NodeRecords.sign(key, NodeRecord.builder(name, PeerId.fromPublicKey(key.publicKey())).sequence(1)
                .issuedAtMillis(NOW - 1000).expiresAtMillis(expiresAt).podCidr(cidr).build());
    }

    private Path file() {
        return dir.resolve("members.bin");
    }

    @Test
    void savedRecordsComeBackButThisNodesOwnAndExpiredOnesDoNot() {
        MemberCache cache = new MemberCache(file(), 8192);
        cache.save(List.of(record(self, "me", "10.244.0.0/24", NOW + 60_000),
                record(a, "node-a", "10.244.1.0/24", NOW + 60_000),
                record(b, "node-b", "10.244.2.0/24", NOW + 500)));

        MembershipStore store = MembershipStore.inMemory();
        int accepted = cache.restore(store, PeerId.fromPublicKey(self.publicKey()), NOW + 1000);

        assertEquals(1, accepted);
        assertEquals(List.of("node-a"), store.members().stream().map(SignedRecord::nodeName).toList());
    }

    @Test
    void noFileRestoresNothing() {
        assertEquals(0, new MemberCache(file(), 8192).restore(MembershipStore.inMemory(), PeerId.fromPublicKey(
                self.publicKey()), NOW));
    }

    @Test
    void aDamagedFileIsReadUpToTheDamage() throws IOException {
        MemberCache cache = new MemberCache(file(), 8192);
        cache.save(List.of(record(a, "node-a", "10.244.1.0/24", NOW + 60_000),
                record(b, "node-b", "10.244.2.0/24", NOW + 60_000)));
        byte[] whole = Files.readAllBytes(file());
        Files.write(file(), Arrays.copyOf(whole, whole.length - 5));

        MembershipStore store = MembershipStore.inMemory();
        assertEquals(1, cache.restore(store, PeerId.fromPublicKey(self.publicKey()), NOW));
        assertEquals("node-a", store.members().get(0).nodeName());
    }

    @Test
    void hostileContentIsRefusedWithoutHarm() throws IOException {
        MemberCache cache = new MemberCache(file(), 8192);
        MembershipStore store = MembershipStore.inMemory();
        PeerId me = PeerId.fromPublicKey(self.publicKey());

        Files.writeString(file(), "not a cache at all");
        assertEquals(0, cache.restore(store, me, NOW));

        byte[] magic = "edgelink-members/1\n".getBytes(StandardCharsets.US_ASCII);
        Files.write(file(), ByteBuffer.allocate(magic.length + 4).put(magic).putInt(Integer.MAX_VALUE).array());
        assertEquals(0, cache.restore(store, me, NOW), "a huge length is not allocated");

        byte[] junk = new byte[] {1, 2, 3, 4, 5, 6, 7};
        Files.write(file(), ByteBuffer.allocate(magic.length + 4 + junk.length).put(magic).putInt(junk.length)
                .put(junk).array());
        assertEquals(0, cache.restore(store, me, NOW), "a record that does not verify is refused");

        SignedRecord forged = record(a, "node-a", "10.244.1.0/24", NOW + 60_000);
        byte[] env = forged.envelope().clone();
        env[env.length - 1] ^= 1;
        Files.write(file(), ByteBuffer.allocate(magic.length + 4 + env.length).put(magic).putInt(env.length)
                .put(env).array());
        assertEquals(0, cache.restore(store, me, NOW), "a bad signature is refused");
        assertTrue(store.members().isEmpty());
    }

    @Test
    void aChangedViewIsWrittenAtMostEvery30SecondsAndARefreshAtMostEveryHalfMargin() {
        // The shipped lifetime: 10 min, re-issued 5 min before expiry.
        MemberCache.Schedule s = MemberCache.Schedule.forRecords(Duration.ofMinutes(5));
        assertFalse(s.due(NOW), "nothing changed, nothing to write");
        s.changed(true);
        assertTrue(s.due(NOW), "the first change is written at once");
        s.saved(NOW);
        assertFalse(s.pending());
        s.changed(true);
        s.changed(true);
        assertFalse(s.due(NOW + 29_999));
        assertTrue(s.due(NOW + 30_000), "30 s after the last write");
        s.saved(NOW + 30_000);

        s.changed(false);
        assertTrue(s.pending(), "a close writes a refresh too");
        assertFalse(s.due(NOW + 30_000 + 149_999), "a refresh alone waits for half the margin");
        assertTrue(s.due(NOW + 30_000 + 150_000));
        s.changed(true);
        assertTrue(s.due(NOW + 60_000), "a change that matters does not wait for the refresh interval");
    }

    @Test
    void shortLabLifetimesAreWrittenOftenEnoughToStayValid() {
        // A 10 s lifetime re-issued 5 s before expiry: a kept record must not be older than 2.5 s.
        MemberCache.Schedule s = MemberCache.Schedule.forRecords(Duration.ofSeconds(5));
        s.saved(NOW);
        s.changed(false);
        assertFalse(s.due(NOW + 2_499));
        assertTrue(s.due(NOW + 2_500));
    }

    @Test
    void aFileLongerThanTheViewsCapacityIsCutThere() {
        MemberCache small = new MemberCache(file(), 1);
        small.save(List.of(record(a, "node-a", "10.244.1.0/24", NOW + 60_000),
                record(b, "node-b", "10.244.2.0/24", NOW + 60_000)));
        MembershipStore store = MembershipStore.inMemory();
        assertEquals(1, new MemberCache(file(), 8192).restore(store, PeerId.fromPublicKey(self.publicKey()), NOW));
        assertEquals(List.of("node-a"), store.members().stream().map(SignedRecord::nodeName).toList());
    }
}
