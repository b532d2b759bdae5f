package dev.edgelink.agent.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgelink.agent.config.ConfigException;
import dev.edgelink.agent.config.Durations;
import dev.edgelink.discovery.trust.CaCertificate;
import dev.edgelink.discovery.trust.Fingerprint;
import dev.edgelink.discovery.trust.InvalidCertificateException;
import dev.edgelink.discovery.trust.NodeCertificate;
import dev.edgelink.discovery.trust.RevocationList;
import dev.edgelink.discovery.trust.TrustAnchors;
import dev.edgelink.discovery.trust.TrustKind;
import dev.edgelink.discovery.trust.TrustProblem;
import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.net.IpPrefix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code edgelink ca ...} commands: the operator's cluster CA in a directory ({@link CaDirectory}). Each prints
 * one JSON object; a refusal prints an {@code error} event and exits 1, bad usage exits 2.
 */
final class CaCommands {

    static final String DEFAULT_CA_NAME = "edgelink-ca";
    static final String DEFAULT_CA_VALIDITY = "87600h";
    static final String DEFAULT_NODE_VALIDITY = "8760h";

    private final JsonOut out;
    private final InstantSource clock;

    CaCommands(JsonOut out, InstantSource clock) {
        this.out = out;
        this.clock = clock;
    }

    int run(String command, String[] argv) {
        switch (command) {
            case "init":
                return init(new Args(argv, 2, Set.of("dir", "name", "validity"), Set.of()));
            case "sign":
                return sign(new Args(argv, 2, Set.of("dir", "node", "pod-cidr", "peer-id", "key", "site", "validity",
                        "out"), Set.of("relay")));
            case "revoke":
                return revoke(new Args(argv, 2, Set.of("dir", "node", "cert", "out"), Set.of()));
            case "show":
                return show(new Args(argv, 2, Set.of("dir", "ca"), Set.of()));
            default:
                throw new ConfigurationException("unknown command 'ca " + command + "'\n" + Main.USAGE);
        }
    }

    private int init(Args args) {
        CaDirectory dir = new CaDirectory(Path.of(args.required("dir")));
        Duration validity = validity(args, DEFAULT_CA_VALIDITY);
        long now = clock.millis();
        PrivKey key = Keys.generateEd25519();
        CaCertificate ca = CaCertificate.create(key, args.option("name").orElse(DEFAULT_CA_NAME), now,
                now + validity.toMillis());
        dir.init(key, ca);
        out.print(describe(out.event("ca:created").put("dir", dir.dir().toString()), ca));
        return 0;
    }

    private int sign(Args args) {
        CaDirectory dir = new CaDirectory(Path.of(args.required("dir")));
        String node = args.required("node");
        Path outFile = Path.of(args.required("out"));
        List<IpPrefix> cidrs = podCidrs(args.all("pod-cidr"));
        PeerId peer = peer(args);
        String validityText = args.option("validity").orElse(DEFAULT_NODE_VALIDITY);
        Duration validity = validity(args, DEFAULT_NODE_VALIDITY);
        PrivKey key = dir.key();
        CaCertificate ca = dir.certificate();
        long now = clock.millis();
        long end = now + validity.toMillis();
        if (now < ca.notBeforeMillis()) {
            throw new CaException("CA '" + ca.name() + "' (" + ca.fingerprint() + ") is valid only from "
                    + iso(ca.notBeforeMillis()) + " but the time here is " + iso(now) + "; check this machine's clock");
        }
        if (end > ca.notAfterMillis()) {
            long hoursLeft = (ca.notAfterMillis() - now) / Duration.ofHours(1).toMillis();
            throw new CaException("a certificate for node '" + node + "' valid for " + validityText + " would end "
                    + iso(end) + ", after CA '" + ca.name() + "' (" + ca.fingerprint() + ") expires at "
                    + iso(ca.notAfterMillis()) + "; give --validity " + hoursLeft + "h or less, or move the"
                    + " cluster to a new CA");
        }
        NodeCertificate c = NodeCertificate.sign(key, ca, node, peer, cidrs, args.option("site").orElse(""),
                args.has("relay"), now, end);
        dir.recordIssued(c);
        CaDirectory.write(outFile, c.encoded(), true);
        out.print(describe(out.event("ca:signed").put("out", outFile.toString()), c));
        return 0;
    }

    private int revoke(Args args) {
        CaDirectory dir = new CaDirectory(Path.of(args.required("dir")));
        Path outFile = Path.of(args.required("out"));
        Optional<String> node = args.option("node");
        Optional<String> certFile = args.option("cert");
        if (node.isPresent() == certFile.isPresent()) {
            throw new ConfigurationException("give exactly one of --node NAME and --cert FILE");
        }
        PrivKey key = dir.key();
        CaCertificate ca = dir.certificate();
        Optional<RevocationList> current = dir.revocations(ca);
        long now = clock.millis();
        List<Fingerprint> certs = new ArrayList<>();
        Map<String, Long> nodes = node.map(n -> Map.of(n, now)).orElse(Map.of());
        if (certFile.isPresent()) {
            certs.add(certificateOf(ca, Path.of(certFile.get())).fingerprint());
        }
        RevocationList next = current.isPresent() ? current.get().with(key, ca, now, certs, nodes)
                : RevocationList.sign(key, ca, 1, now, certs, nodes);
        dir.writeRevocations(next);
        CaDirectory.write(outFile, next.encoded(), true);
        ObjectNode event = out.event("ca:revoked").put("out", outFile.toString())
                .put("list", dir.revocationsPath().toString());
        if (node.isPresent()) {
            event.put("node", node.get()).put("issuedBefore", iso(now));
            listRevokedIssued(event, dir, next, node.get());
        } else {
            event.put("certificate", certs.get(0).hex());
        }
        out.print(describe(event, next));
        return 0;
    }

    /** The certificate in {@code file}, refused unless this CA signed it. */
    private static NodeCertificate certificateOf(CaCertificate ca, Path file) {
        NodeCertificate c = NodeCertificate.parse(CaDirectory.read(file));
        if (!c.caFingerprint().equals(ca.fingerprint())) {
            throw new InvalidCertificateException(TrustProblem.MISMATCH, file + " (node certificate "
                    + c.fingerprint() + " for node '" + c.nodeName() + "') is issued by CA " + c.caFingerprint().hex()
                    + ", not by this CA '" + ca.name() + "' (" + ca.fingerprint().hex() + "); revoke it with the CA"
                    + " that signed it");
        }
        if (!c.signatureValidUnder(ca)) {
            throw new InvalidCertificateException(TrustProblem.BAD_SIGNATURE, file + " (node certificate "
                    + c.fingerprint() + " for node '" + c.nodeName() + "') names this CA but its signature does not"
                    + " verify: it was not signed by this CA, or it was altered");
        }
        return c;
    }

    /** What this CA issued for {@code node} that the new list revokes, from {@code issued/}. */
    private void listRevokedIssued(ObjectNode event, CaDirectory dir, RevocationList list, String node) {
        List<String> unreadable = new ArrayList<>();
        ArrayNode revoked = event.putArray("revokedIssued");
        for (NodeCertificate c : dir.issued(unreadable)) {
            if (c.nodeName().equals(node) && list.revokes(c)) {
                revoked.addObject().put("fingerprint", c.fingerprint().hex()).put("peerId", c.peerId().toString())
                        .put("notBefore", iso(c.notBeforeMillis())).put("notAfter", iso(c.notAfterMillis()));
            }
        }
        if (!unreadable.isEmpty()) {
            ArrayNode skipped = event.putArray("unreadableIssued");
            unreadable.forEach(skipped::add);
        }
    }

    private int show(Args args) {
        Path file = Path.of(args.positional(0, "FILE"));
        Optional<String> dirOption = args.option("dir");
        Optional<String> caOption = args.option("ca");
        if (dirOption.isPresent() && caOption.isPresent()) {
            throw new ConfigurationException("give at most one of --dir DIR and --ca FILE");
        }
        byte[] bytes = CaDirectory.read(file);
        ObjectNode o = out.object().put("file", file.toString());
        TrustKind kind = TrustKind.of(bytes);
        switch (kind) {
            case CA -> describe(o, CaCertificate.decode(bytes));
            case NODE -> describe(o, NodeCertificate.parse(bytes));
            default -> describe(o, RevocationList.parse(bytes));
        }
        if (dirOption.isEmpty() && caOption.isEmpty()) {
            out.print(o);
            return 0;
        }
        CaDirectory dir = dirOption.map(d -> new CaDirectory(Path.of(d))).orElse(null);
        CaCertificate trusted = dir != null ? dir.certificate()
                : CaCertificate.decode(CaDirectory.read(Path.of(caOption.get())));
        o.put("trustedCa", trusted.fingerprint().hex());
        try {
            verify(kind, bytes, trusted, dir == null ? Optional.empty() : dir.revocations(trusted));
            o.put("verified", true);
        } catch (InvalidCertificateException e) {
            o.put("verified", false).put("problem", e.problem().name()).put("reason", e.getMessage());
        }
        out.print(o);
        return o.get("verified").asBoolean() ? 0 : 1;
    }

    /** Signature and validity now under {@code trusted}; for a node certificate also the CA's revocation list. */
    private void verify(TrustKind kind, byte[] bytes, CaCertificate trusted, Optional<RevocationList> revocations) {
        TrustAnchors anchors = TrustAnchors.of(List.of(trusted));
        long now = clock.millis();
        switch (kind) {
            case CA -> {
                CaCertificate ca = CaCertificate.decode(bytes);
                if (!ca.equals(trusted)) {
                    throw new InvalidCertificateException(TrustProblem.UNKNOWN_CA, "CA certificate " + ca.fingerprint()
                            + " ('" + ca.name() + "') is not the trusted CA '" + trusted.name() + "' ("
                            + trusted.fingerprint() + ")");
                }
                if (now < ca.notBeforeMillis()) {
                    throw new InvalidCertificateException(TrustProblem.NOT_YET_VALID, "CA '" + ca.name()
                            + "' is valid only from " + iso(ca.notBeforeMillis()) + " (now " + iso(now) + ")");
                }
                if (now >= ca.notAfterMillis()) {
                    throw new InvalidCertificateException(TrustProblem.EXPIRED, "CA '" + ca.name() + "' expired at "
                            + iso(ca.notAfterMillis()) + " (now " + iso(now) + ")");
                }
            }
            case NODE -> {
                NodeCertificate c = NodeCertificate.parse(bytes);
                anchors.verify(c, now, 0);
                if (revocations.isPresent() && revocations.get().revokes(c)) {
                    throw new InvalidCertificateException(TrustProblem.REVOKED, "node certificate " + c.fingerprint()
                            + " for node '" + c.nodeName() + "' is revoked by revocation list "
                            + revocations.get().sequence() + " of CA '" + trusted.name() + "'");
                }
            }
            default -> anchors.verifyRevocation(bytes);
        }
    }

    private static ObjectNode describe(ObjectNode o, CaCertificate ca) {
        return o.put("kind", "ca").put("name", ca.name()).put("publicKey", hex(ca.publicKey().raw()))
                .put("notBefore", iso(ca.notBeforeMillis())).put("notAfter", iso(ca.notAfterMillis()))
                .put("fingerprint", ca.fingerprint().hex());
    }

    private static ObjectNode describe(ObjectNode o, NodeCertificate c) {
        o.put("kind", "node").put("node", c.nodeName()).put("peerId", c.peerId().toString());
        ArrayNode cidrs = o.putArray("podCidrs");
        c.podCidrs().forEach(p -> cidrs.add(p.toString()));
        return o.put("site", c.site()).put("relay", c.relay())
                .put("notBefore", iso(c.notBeforeMillis())).put("notAfter", iso(c.notAfterMillis()))
                .put("fingerprint", c.fingerprint().hex()).put("caFingerprint", c.caFingerprint().hex());
    }

    private static ObjectNode describe(ObjectNode o, RevocationList list) {
        o.put("kind", "revocation").put("sequence", list.sequence()).put("issuedAt", iso(list.issuedAtMillis()))
                .put("fingerprint", list.fingerprint().hex()).put("caFingerprint", list.caFingerprint().hex());
        ArrayNode certs = o.putArray("revokedCertificates");
        list.certificates().forEach(f -> certs.add(f.hex()));
        ArrayNode nodes = o.putArray("revokedNodes");
        list.nodes().forEach((name, before) -> nodes.addObject().put("node", name).put("issuedBefore", iso(before)));
        return o;
    }

    private static List<IpPrefix> podCidrs(List<String> texts) {
        if (texts.isEmpty()) {
            throw new ConfigurationException("missing option --pod-cidr (the node's pod CIDR; repeat it for more)");
        }
        List<IpPrefix> out = new ArrayList<>();
        for (String text : texts) {
            try {
                out.add(IpPrefix.parseNetwork(text));
            } catch (IllegalArgumentException e) {
                throw new ConfigurationException("--pod-cidr '" + text + "': " + e.getMessage(), e);
            }
        }
        return out;
    }

    /** The node's peer id, from exactly one of {@code --peer-id} and {@code --key}. */
    private static PeerId peer(Args args) {
        Optional<String> id = args.option("peer-id");
        Optional<String> keyFile = args.option("key");
        if (id.isPresent() == keyFile.isPresent()) {
            throw new ConfigurationException("give exactly one of --peer-id ID and --key NODE_KEY");
        }
        if (id.isPresent()) {
            return PeerId.fromString(id.get());
        }
        Path path = Path.of(keyFile.get());
        if (!Files.exists(path)) {
            throw new ConfigurationException("node key file " + path + " does not exist");
        }
        // Read only for its public half; loadOrCreate never writes a file that exists.
        return PeerId.fromPublicKey(Keys.loadOrCreate(path).publicKey());
    }

    private static Duration validity(Args args, String defaultText) {
        String text = args.option("validity").orElse(defaultText);
        try {
            return Durations.parse("--validity", text);
        } catch (ConfigException e) {
            throw new ConfigurationException("--validity '" + text + "' is not a duration like " + defaultText
                    + " (a whole number with ms, s, m or h)", e);
        }
    }

    private static String iso(long millis) {
        return Instant.ofEpochMilli(millis).toString();
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
