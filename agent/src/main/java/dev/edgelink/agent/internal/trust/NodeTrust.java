package dev.edgelink.agent.internal.trust;

import dev.edgelink.agent.config.AgentConfig;
import dev.edgelink.agent.config.ConfigException;
import dev.edgelink.discovery.MembershipStore;
import dev.edgelink.discovery.MembershipTrust;
import dev.edgelink.discovery.OfferResult;
import dev.edgelink.discovery.trust.CaCertificate;
import dev.edgelink.discovery.trust.InvalidCertificateException;
import dev.edgelink.discovery.trust.NodeCertificate;
import dev.edgelink.discovery.trust.RevocationList;
import dev.edgelink.discovery.trust.TrustAnchors;
import dev.edgelink.libp2p.peer.PeerId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's side of the cluster's trust (docs/security.md): the CA certificates it trusts, its own certificate
 * and the revocation list it was given, read and checked at start so that a node that cannot be a member fails
 * there, with the reason, and not silently at its first exchange.
 *
 * <p>Afterwards it watches {@code trust.revocationFile} and {@code trust.certFile}: a newer revocation list is
 * offered to the store (which drops the members it revokes; gossip takes it to every other node), and a renewed
 * certificate is handed to whoever republishes the node record. Checked every {@link #WATCH_INTERVAL_MILLIS} ms.
 */
public final class NodeTrust implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeTrust.class);

    /** How often the revocation and certificate files are looked at. */
    public static final long WATCH_INTERVAL_MILLIS = 2000;

    private final AgentConfig.Trust config;
    private final MembershipTrust membership;
    private volatile NodeCertificate certificate;
    private volatile long revocationModified = -1;
    private volatile long certModified = -1;
    private ScheduledFuture<?> watch;

    private NodeTrust(AgentConfig.Trust config, MembershipTrust membership, NodeCertificate certificate) {
        this.config = config;
        this.membership = membership;
        this.certificate = certificate;
    }

    /**
     * Reads and checks the trust settings of {@code config} for the node whose key is {@code self}.
     *
     * @throws ConfigException naming the key and what is wrong: an unreadable or invalid CA certificate, a
     *     certificate that is not for this node (peer id, name, pod CIDR, site, relay role), not signed by a trusted
     *     CA, not valid now, or revoked by the given list
     */
    public static NodeTrust load(AgentConfig config, PeerId self, long nowMillis) {
        AgentConfig.Trust t = config.trust();
        if (t.caFiles().isEmpty()) {
            LOG.warn("trust: INSECURE mode (trust.insecure: true): there is no cluster CA, every holder of the swarm "
                    + "key is a member and may claim any name, pod CIDR, site and relay role; for labs only "
                    + "(node={})", config.nodeName());
            return new NodeTrust(t, MembershipTrust.insecure(t.clockSkew()), null);
        }
        List<CaCertificate> cas = new ArrayList<>();
        for (int i = 0; i < t.caFiles().size(); i++) {
            Path file = t.caFiles().get(i);
            try {
                cas.add(CaCertificate.decode(read("trust.caFiles[" + i + "]", file)));
            } catch (InvalidCertificateException e) {
                throw new ConfigException("trust.caFiles[" + i + "]", file + " is not a valid CA certificate: "
                        + e.getMessage(), e);
            }
        }
        TrustAnchors anchors = TrustAnchors.of(cas);
        MembershipTrust membership = MembershipTrust.withCa(anchors, t.clockSkew());
        Path certFile = t.certFile().orElseThrow(() -> new ConfigException("trust.certFile",
                "is required with trust.caFiles: this node's certificate (bin/edgelink ca sign)"));
        NodeCertificate cert = checkOwn(config, self, parse(certFile), anchors, nowMillis);
        NodeTrust trust = new NodeTrust(t, membership, cert);
        t.revocationFile().ifPresent(f -> {
            if (Files.exists(f)) {
                trust.offerRevocationFile(null, f);
            }
            if (membership.revoked(cert)) {
                throw new ConfigException("trust.certFile", certFile + " (certificate " + cert.fingerprint()
                        + ") is revoked by " + f + "; have the CA sign a new one");
            }
        });
        LOG.info("trust: cluster CA {} ; this node's certificate {} (node {}, pod CIDRs {}, site '{}', relay {}, "
                + "valid until {})", cas.stream().map(c -> c.name() + " " + c.fingerprint()).toList(),
                cert.fingerprint(), cert.nodeName(), cert.podCidrs(), cert.site(), cert.relay(),
                Instant.ofEpochMilli(cert.notAfterMillis()));
        return trust;
    }

    private static NodeCertificate parse(Path file) {
        try {
            return NodeCertificate.parse(read("trust.certFile", file));
        } catch (InvalidCertificateException e) {
            throw new ConfigException("trust.certFile", file + " is not a valid node certificate: "
                    + e.getMessage(), e);
        }
    }

    /** The certificate must chain, be valid now, and grant exactly what this node will announce. */
    private static NodeCertificate checkOwn(AgentConfig config, PeerId self, NodeCertificate c, TrustAnchors anchors,
            long nowMillis) {
        String key = "trust.certFile";
        try {
            anchors.verify(c, nowMillis, config.trust().clockSkew().toMillis());
        } catch (InvalidCertificateException e) {
            throw new ConfigException(key, "this node's certificate does not verify: " + e.getMessage(), e);
        }
        if (!c.peerId().equals(self)) {
            throw new ConfigException(key, "the certificate is for peer " + c.peerId() + ", but this node's key ("
                    + config.keyFile() + ") is peer " + self + "; sign one with --peer-id " + self);
        }
        if (!c.nodeName().equals(config.nodeName())) {
            throw new ConfigException(key, "the certificate is for node " + c.nodeName() + ", this node is "
                    + config.nodeName());
        }
        if (c.podCidrs().stream().noneMatch(p -> p.toString().equals(config.podCidr().toString()))) {
            throw new ConfigException(key, "podCidr " + config.podCidr() + " is not granted by the certificate ("
                    + c.podCidrs() + "); leave podCidr out to take it from the certificate");
        }
        if (!c.site().equals(config.site())) {
            throw new ConfigException(key, "site '" + config.site() + "' is not the certificate's '" + c.site()
                    + "'; leave site out to take it from the certificate");
        }
        if (config.nat().relayServer() && !c.relay()) {
            throw new ConfigException(key, "relay.server is on but the certificate does not grant the relay role "
                    + "(ca sign --relay)");
        }
        return c;
    }

    private static byte[] read(String key, Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException(key, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Starts watching the revocation and certificate files.
     *
     * @param onRenewed called with a new valid certificate for this node (the record is then republished)
     */
    public void watch(ScheduledExecutorService scheduler, MembershipStore store, LongSupplier clock,
            Consumer<NodeCertificate> onRenewed) {
        if (!membership.hasCa()) {
            return;
        }
        watch = scheduler.scheduleWithFixedDelay(() -> {
            config.revocationFile().ifPresent(f -> offerRevocationFile(store, f));
            config.certFile().ifPresent(f -> reloadCertificate(f, clock.getAsLong(), onRenewed));
        }, WATCH_INTERVAL_MILLIS, WATCH_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Offers the revocation file when it changed; before the store exists, straight to the trust. */
    private void offerRevocationFile(MembershipStore store, Path file) {
        long modified = modified(file);
        if (modified < 0 || modified == revocationModified) {
            return;
        }
        revocationModified = modified;
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            LOG.warn("trust: cannot read the revocation list {}: {}", file, e.getMessage());
            return;
        }
        if (store == null) {
            try {
                membership.offerRevocation(bytes);
            } catch (InvalidCertificateException e) {
                throw new ConfigException("trust.revocationFile", file + " is not a valid revocation list of a "
                        + "trusted CA: " + e.getMessage(), e);
            }
            return;
        }
        OfferResult r = store.offerRevocation(bytes, System.currentTimeMillis());
        if (r.isAccepted()) {
            LOG.info("trust: revocation list from {} taken: {}", file, describe(membership.revocations()));
        } else if (r.reason().isPresent()) {
            LOG.warn("trust: revocation list {} refused: {}", file, r.detail());
        }
    }

    private void reloadCertificate(Path file, long nowMillis, Consumer<NodeCertificate> onRenewed) {
        long modified = modified(file);
        if (modified < 0 || modified == certModified) {
            return;
        }
        boolean first = certModified < 0;
        certModified = modified;
        if (first) {
            return;
        }
        NodeCertificate c;
        try {
            c = NodeCertificate.parse(Files.readAllBytes(file));
            membership.anchors().orElseThrow().verify(c, nowMillis, membership.skewMillis());
        } catch (IOException | InvalidCertificateException e) {
            LOG.warn("trust: the changed certificate {} is not usable, keeping {}: {}", file,
                    certificate.fingerprint(), e.getMessage());
            return;
        }
        NodeCertificate old = certificate;
        if (c.equals(old)) {
            return;
        }
        if (!c.peerId().equals(old.peerId()) || !c.nodeName().equals(old.nodeName())
                || !c.podCidrs().equals(old.podCidrs()) || !c.site().equals(old.site())) {
            LOG.warn("trust: the changed certificate {} grants something else than the running one (name, pod "
                    + "CIDRs or site); restart the agent to take it", file);
            return;
        }
        certificate = c;
        LOG.info("trust: certificate renewed: {} valid until {}", c.fingerprint(),
                Instant.ofEpochMilli(c.notAfterMillis()));
        onRenewed.accept(c);
    }

    private static long modified(Path file) {
        try {
            return Files.getLastModifiedTime(file).toMillis() ^ Files.size(file);
        } catch (NoSuchFileException e) {
            return -1;
        } catch (IOException e) {
            LOG.warn("trust: cannot look at {}: {}", file, e.getMessage());
            return -1;
        }
    }

    private static String describe(List<RevocationList> lists) {
        List<String> out = new ArrayList<>();
        for (RevocationList l : lists) {
            out.add("CA " + l.caFingerprint() + " sequence " + l.sequence() + " (" + l.certificates().size()
                    + " certificates, " + l.nodes().size() + " nodes)");
        }
        return String.join(", ", out);
    }

    /** What the store checks records against. */
    public MembershipTrust membership() {
        return membership;
    }

    /** This node's certificate; empty in insecure mode. */
    public Optional<NodeCertificate> certificate() {
        return Optional.ofNullable(certificate);
    }

    public boolean insecure() {
        return !membership.hasCa();
    }

    public List<CaCertificate> cas() {
        return membership.anchors().map(TrustAnchors::cas).orElse(List.of());
    }

    @Override
    public void close() {
        if (watch != null) {
            watch.cancel(false);
        }
    }
}
