package dev.edgelink.lab.e2e;

import dev.edgelink.discovery.trust.CaCertificate;
import dev.edgelink.discovery.trust.Fingerprint;
import dev.edgelink.discovery.trust.NodeCertificate;
import dev.edgelink.discovery.trust.RevocationList;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.net.IpPrefix;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cluster CA of a lab: made in the lab directory when the cluster is created, it signs a certificate for every
 * member (its node name, the peer id of the key in its state directory, its pod CIDR, its site and relay role), and
 * whatever else a test needs: certificates that grant less than a rogue node claims, and revocation lists. The CA
 * key stays in the test's JVM; only the CA certificate and node certificates are files the agents read.
 */
public final class LabCa {

    /** How long the lab's certificates are valid: long enough for any test, short enough to mean something. */
    static final Duration VALIDITY = Duration.ofDays(2);

    private final PrivKey key = Keys.generateEd25519();
    private final CaCertificate ca;
    private final Path dir;
    private long revocationSequence;
    private final List<Fingerprint> revokedCertificates = new ArrayList<>();

    private LabCa(Path dir, String name) {
        this.dir = dir;
        long now = System.currentTimeMillis();
        this.ca = CaCertificate.create(key, name, now - Duration.ofHours(1).toMillis(), now + VALIDITY.toMillis() * 2);
        write(certificateFile(), ca.encoded());
    }

    /** A new CA whose certificate is {@code dir/ca.crt}. */
    public static LabCa create(Path dir, String name) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        return new LabCa(dir, name);
    }

    public Path certificateFile() {
        return dir.resolve("ca.crt");
    }

    public CaCertificate certificate() {
        return ca;
    }

    /** The peer id of the node key at {@code keyFile}, made (0600) if missing, as the agent would make it. */
    public static PeerId peerOf(Path keyFile) {
        return PeerId.fromPublicKey(Keys.loadOrCreate(keyFile).publicKey());
    }

    /** Signs a node certificate valid from an hour ago for {@link #VALIDITY}. */
    public NodeCertificate sign(String node, PeerId peer, List<String> podCidrs, String site, boolean relay) {
        long now = System.currentTimeMillis();
        List<IpPrefix> cidrs = podCidrs.stream().map(IpPrefix::parseNetwork).toList();
        return NodeCertificate.sign(key, ca, node, peer, cidrs, site, relay, now - Duration.ofHours(1).toMillis(),
                now + VALIDITY.toMillis());
    }

    /** Signs and writes a node certificate to {@code file}. */
    public NodeCertificate signTo(Path file, String node, PeerId peer, List<String> podCidrs, String site,
            boolean relay) {
        NodeCertificate c = sign(node, peer, podCidrs, site, relay);
        write(file, c.encoded());
        return c;
    }

    /** The next revocation list, adding {@code certificate}; written to {@code file}. */
    public synchronized RevocationList revoke(NodeCertificate certificate, Path file) {
        revokedCertificates.add(certificate.fingerprint());
        RevocationList list = RevocationList.sign(key, ca, ++revocationSequence, System.currentTimeMillis(),
                Set.copyOf(revokedCertificates), Map.of());
        write(file, list.encoded());
        return list;
    }

    private static void write(Path file, byte[] bytes) {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(tmp, bytes);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
