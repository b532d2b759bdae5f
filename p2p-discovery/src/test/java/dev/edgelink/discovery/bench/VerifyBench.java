package dev.edgelink.discovery.bench;

import dev.edgelink.discovery.MembershipStore;
import dev.edgelink.discovery.MembershipTrust;
import dev.edgelink.discovery.NodeRecord;
import dev.edgelink.discovery.NodeRecords;
import dev.edgelink.discovery.OfferResult;
import dev.edgelink.discovery.StoreLimits;
import dev.edgelink.discovery.TestCa;
import dev.edgelink.discovery.TunnelCapability;
import dev.edgelink.discovery.UnderlayAddress;
import dev.edgelink.discovery.trust.NodeCertificate;
import dev.edgelink.discovery.trust.TrustAnchors;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.crypto.PubKey;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.net.MacAddress;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * How fast one thread verifies and admits node records: a full sync of an N-node cluster (default 1000) into an empty
 * {@link MembershipStore} through {@link MembershipStore#offer(byte[], long)}, as the members exchange's verifier
 * thread does it. A measurement to run by hand or with {@code scripts/bench-verify.sh}, not a test.
 *
 * <p>Passes, all on the same N records (distinct keys, one certificate each, realistic fields), in each round:
 * <ul>
 *   <li>{@code ed25519}: raw Ed25519 verifications of the libp2p crypto library, N distinct keys: the floor;</li>
 *   <li>{@code record-only}: {@link NodeRecords#verify} alone (envelope and record parsing, certificate parsing and
 *       fingerprint, the record's signature), no store;</li>
 *   <li>{@code cert-signature}: the certificates' CA signatures alone;</li>
 *   <li>{@code ca-cold}: offers into a fresh store with fresh {@link TrustAnchors} (empty certificate cache): two
 *       Ed25519 verifications per record, what a node pays when it joins;</li>
 *   <li>{@code ca-warm}: a fresh store, the anchors of {@code ca-cold} (every certificate cached): one;</li>
 *   <li>{@code insecure}: the same records without certificates into a store without a CA: one.</li>
 * </ul>
 * Times are the thread's CPU time (a shared machine's preemption does not count), so records/s is per core. The
 * first {@code WARMUP} rounds are printed but left out of the medians: they include class loading and JIT.
 *
 * <p>Usage: {@code VerifyBench [NODES] [ROUNDS] [WARMUP]}, defaults 1000, 10, 3.
 */
public final class VerifyBench {

    private static final long T0 = 1_700_000_000_000L;
    private static final long NOW = T0 + 1_000;
    private static final long HOUR = 3_600_000L;
    private static final long RECORD_TTL = 60_000L;
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    /** The same N nodes, signed every way the passes need. */
    private record Fixture(TestCa ca, List<byte[]> certified, List<byte[]> uncertified,
            List<NodeCertificate> certificates, List<PubKey> keys, List<byte[]> messages, List<byte[]> signatures) {
    }

    private VerifyBench() {
    }

    public static void main(String[] args) {
        int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        System.out.printf("VerifyBench: %d nodes, %d rounds (%d warm-up); java %s, %d CPUs, one thread, "
                + "load %s%n", nodes, rounds, warmup, System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), loadAverage());
        Fixture f = fixture(nodes);
        System.out.printf("record envelope %d bytes with its certificate, %d without; certificate %d bytes%n",
                f.certified().get(0).length, f.uncertified().get(0).length, f.certificates().get(0).encoded().length);
        Map<String, List<Double>> micros = new LinkedHashMap<>();
        System.out.printf("%-6s %-15s %12s %12s %16s %10s%n", "round", "pass", "records/s", "us/record",
                "CPU ms per sync", "wall ms");
        for (int round = 1; round <= rounds; round++) {
            Map<String, long[]> r = round(f);
            for (Map.Entry<String, long[]> e : r.entrySet()) {
                double us = e.getValue()[0] / 1e3 / nodes;
                print(Integer.toString(round), e.getKey(), us, nodes, e.getValue()[1] / 1e6);
                if (round > warmup) {
                    micros.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(us);
                }
            }
        }
        System.out.printf("%nmedian of rounds %d..%d (CPU time per record; a sync is %d records), load %s%n",
                warmup + 1, rounds, nodes, loadAverage());
        System.out.printf("%-15s %12s %12s %16s%n", "pass", "records/s", "us/record", "CPU ms per sync");
        micros.forEach((pass, list) -> {
            double us = median(list);
            System.out.printf("%-15s %,12.0f %12.1f %16.1f%n", pass, 1e6 / us, us, us * nodes / 1e3);
        });
    }

    /** One round of every pass: pass name to {CPU ns, wall ns}. */
    private static Map<String, long[]> round(Fixture f) {
        int n = f.certified().size();
        Map<String, long[]> out = new LinkedHashMap<>();
        out.put("ed25519", time(n, i -> f.keys().get(i).verify(f.messages().get(i), f.signatures().get(i))));
        out.put("record-only", time(n, i -> NodeRecords.verify(f.certified().get(i)) != null));
        out.put("cert-signature", time(n, i -> f.certificates().get(i).signatureValidUnder(f.ca().certificate())));
        TrustAnchors anchors = f.ca().anchors();
        MembershipStore cold = MembershipStore.inMemory(StoreLimits.DEFAULT,
                MembershipTrust.withCa(anchors, TestCa.SKEW));
        out.put("ca-cold", time(n, i -> accepted(cold.offer(f.certified().get(i), NOW))));
        requireEqual(n, anchors.signatureChecks(), "certificate signature checks in the cold pass");
        MembershipStore warm = MembershipStore.inMemory(StoreLimits.DEFAULT,
                MembershipTrust.withCa(anchors, TestCa.SKEW));
        out.put("ca-warm", time(n, i -> accepted(warm.offer(f.certified().get(i), NOW))));
        requireEqual(n, anchors.signatureChecks(), "certificate signature checks after the warm pass");
        MembershipStore insecure = MembershipStore.inMemory(StoreLimits.DEFAULT,
                MembershipTrust.insecure(TestCa.SKEW));
        out.put("insecure", time(n, i -> accepted(insecure.offer(f.uncertified().get(i), NOW))));
        for (MembershipStore s : List.of(cold, warm, insecure)) {
            requireEqual(n, s.members().size(), "members after a pass");
        }
        return out;
    }

    /** Runs {@code step} for 0..n-1 on this thread: {CPU ns, wall ns}. Every step must return true. */
    private static long[] time(int n, IntPredicate step) {
        long cpu = CPU.getCurrentThreadCpuTime();
        long wall = System.nanoTime();
        for (int i = 0; i < n; i++) {
            if (!step.test(i)) {
                throw new IllegalStateException("step " + i + " failed");
            }
        }
        return new long[] {CPU.getCurrentThreadCpuTime() - cpu, System.nanoTime() - wall};
    }

    private static boolean accepted(OfferResult r) {
        if (!r.isAccepted()) {
            throw new IllegalStateException("record not accepted: " + r);
        }
        return true;
    }

    private static void requireEqual(long expected, long actual, String what) {
        if (expected != actual) {
            throw new IllegalStateException(what + ": expected " + expected + ", got " + actual);
        }
    }

    private static Fixture fixture(int nodes) {
        TestCa ca = TestCa.create("bench-ca", T0 - 24 * HOUR, T0 + 365 * 24 * HOUR);
        Fixture f = new Fixture(ca, new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
                new ArrayList<>(), new ArrayList<>());
        for (int i = 0; i < nodes; i++) {
            PrivKey key = Keys.generateEd25519();
            String name = String.format("edge-%04d", i);
            String cidr = "10." + (64 + i / 256) + "." + (i % 256) + ".0/24";
            String site = "site-" + (i % 8);
            NodeCertificate cert = ca.certify(name, PeerId.fromPublicKey(key.publicKey()), List.of(cidr), site,
                    i % 50 == 0, T0 - HOUR, T0 + 30 * 24 * HOUR);
            NodeRecord record = record(key, name, cidr, site, i).build();
            f.certified().add(NodeRecords.sign(key, record.toBuilder().certificate(cert).build()).envelope());
            f.uncertified().add(NodeRecords.sign(key, record).envelope());
            f.certificates().add(cert);
            byte[] message = f.certified().get(i);
            f.keys().add(key.publicKey());
            f.messages().add(message);
            f.signatures().add(key.sign(message));
        }
        return f;
    }

    /** What an agent announces: one pod CIDR, two underlay and two listen addresses, a VTEP MAC, every tunnel. */
    private static NodeRecord.Builder record(PrivKey key, String name, String cidr, String site, int i) {
        String underlay = "192.168." + (i / 250) + "." + (1 + i % 250);
        return NodeRecord.builder(name, PeerId.fromPublicKey(key.publicKey()))
                .podCidr(cidr)
                .underlayAddress(UnderlayAddress.of(underlay, 0, UnderlayAddress.Kind.INTERFACE))
                .underlayAddress(UnderlayAddress.of("203.0.113." + (1 + i % 250), 41000 + i,
                        UnderlayAddress.Kind.OBSERVED))
                .vtepMac(MacAddress.parse(String.format("02:42:%02x:%02x:00:01", i / 256, i % 256)))
                .tunnel(TunnelCapability.HOSTGW).tunnel(TunnelCapability.VXLAN).tunnel(TunnelCapability.USERSPACE)
                .site(site)
                .listenAddress(Multiaddr.fromString("/ip4/" + underlay + "/tcp/4001"))
                .listenAddress(Multiaddr.fromString("/ip4/203.0.113." + (1 + i % 250) + "/tcp/" + (41000 + i)))
                .sequence(T0 + i)
                .issuedAtMillis(T0)
                .expiresAtMillis(T0 + RECORD_TTL);
    }

    private static void print(String round, String pass, double micros, int nodes, double wallMillis) {
        System.out.printf("%-6s %-15s %,12.0f %12.1f %16.1f %10.1f%n", round, pass, 1e6 / micros, micros,
                micros * nodes / 1e3, wallMillis);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String loadAverage() {
        return String.format("%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
}
