package dev.edgelink.agent.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.edgelink.agent.config.AgentConfig.StaticPeerConfig;
import dev.edgelink.agent.config.AgentConfig.Timeouts;
import dev.edgelink.dataplane.tunnel.TunnelConfig;
import dev.edgelink.discovery.MembershipConfig;
import dev.edgelink.discovery.trust.InvalidCertificateException;
import dev.edgelink.discovery.trust.NodeCertificate;
import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.crypto.KeyFiles;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.pnet.SwarmKey;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Reads the agent's YAML config into a validated {@link AgentConfig}. Every key is optional except {@code podCidr};
 * unknown keys are refused; every error is a {@link ConfigException} naming the key. File paths must be absolute
 * (the agent is a daemon: its working directory means nothing). Files the config points to (the PSK) are read
 * here, so that a bad one fails at start, not at the first connection; a PSK file other users may read is refused
 * ({@link KeyFiles#requirePrivate}).
 */
public final class ConfigLoader {
    /** The key a problem with the file as a whole is reported under. */
    public static final String FILE_KEY = "--config";

    private static final YAMLMapper YAML = YAMLMapper.builder(new YAMLFactory())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final Pattern NODE_NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern INTERFACE = Pattern.compile("[^/\\s:]{1,15}");
    private static final int MAX_UNIX_PATH = 107;
    private static final Pattern SITE = Pattern.compile("[A-Za-z0-9._-]{0,63}");

    private final Supplier<String> hostname;

    /** @param hostname the default node name (the machine's host name) */
    public ConfigLoader(Supplier<String> hostname) {
        this.hostname = hostname;
    }

    /** A loader whose default node name is this machine's host name. */
    public static ConfigLoader forThisHost() {
        return new ConfigLoader(ConfigLoader::localHostname);
    }

    public AgentConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(FILE_KEY, "cannot read " + file + ": " + e.getMessage(), e);
        }
        return parse(text);
    }

    public AgentConfig parse(String yaml) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new ConfigException(FILE_KEY, "not valid YAML: " + e.getOriginalMessage(), e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw new ConfigException("podCidr", "is required (the file is empty)");
        }
        return read(Section.element("", root));
    }

    private AgentConfig read(Section s) {
        s.only("nodeName", "podCidr", "clusterCidr", "listen", "bootstrapPeers", "mdnsInterfaces", "pskFile",
                "tunnelMode", "underlay", "stateDir", "cniSocket", "statusAddress", "masquerade", "timeouts",
                "staticPeers", "site", "relay", "holePunch", "userspace", "memory", "trust", "libp2p", "members");
        AgentConfig.Trust trust = trust(s.section("trust"));
        Optional<NodeCertificate> cert = trust.certFile().map(ConfigLoader::certificate);
        String nodeName = nodeName(s.key("nodeName"), s.text("nodeName")
                .or(() -> cert.map(NodeCertificate::nodeName)).orElseGet(hostname));
        IpPrefix clusterCidr = cidr(s.key("clusterCidr"),
                s.text("clusterCidr").orElse(AgentConfig.DEFAULT_CLUSTER_CIDR));
        IpPrefix podCidr = cidr(s.key("podCidr"), s.text("podCidr")
                .or(() -> cert.flatMap(c -> c.podCidrs().stream().filter(p -> p.isIpv4()).findFirst())
                        .map(Object::toString))
                .orElseThrow(() -> new ConfigException("podCidr", "is required: this node's pod CIDR, e.g. "
                        + "10.244.1.0/24 (unique per node, inside clusterCidr), unless trust.certFile grants one")));
        checkPodCidr(s.key("podCidr"), podCidr, clusterCidr);
        Section underlay = s.section("underlay").only("interface", "address");
        Optional<String> underlayInterface = underlay.text("interface").map(v -> iface(underlay.key("interface"), v));
        Optional<Inet4Address> underlayAddress = underlay.text("address").map(v -> ipv4(underlay.key("address"), v));
        AgentConfig.Nat nat = nat(s, cert);
        return new AgentConfig(nodeName, podCidr, clusterCidr, listen(s), bootstrapPeers(s), mdnsInterfaces(s),
                pskFile(s), tunnelMode(s), underlayInterface, underlayAddress,
                absolute(s.key("stateDir"), s.text("stateDir").orElse(AgentConfig.DEFAULT_STATE_DIR.toString())),
                cniSocket(s), statusAddress(s.key("statusAddress"),
                        s.text("statusAddress").orElse(AgentConfig.DEFAULT_STATUS_ADDRESS)),
                s.bool("masquerade").orElse(true), timeouts(s.section("timeouts")),
                staticPeers(s, nodeName, podCidr, clusterCidr), nat, memory(s.section("memory")),
                trust, connections(s.section("libp2p"), nat), members(s.section("members")));
    }

    /** The certificate file, parsed only (the agent checks its signature at start, against the CAs). */
    private static NodeCertificate certificate(Path file) {
        try {
            return NodeCertificate.parse(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new ConfigException("trust.certFile", "cannot read " + file + ": " + e.getMessage(), e);
        } catch (InvalidCertificateException e) {
            throw new ConfigException("trust.certFile", file + " is not a node certificate: " + e.getMessage(), e);
        }
    }

    private static AgentConfig.Trust trust(Section t) {
        t.only("caFiles", "certFile", "revocationFile", "insecure", "clockSkew", "kernelUnderlays");
        List<Path> caFiles = new ArrayList<>();
        List<String> texts = t.texts("caFiles");
        for (int i = 0; i < texts.size(); i++) {
            caFiles.add(absolute(t.key("caFiles") + "[" + i + "]", texts.get(i)));
        }
        List<IpPrefix> underlays = new ArrayList<>();
        List<String> cidrs = t.texts("kernelUnderlays");
        for (int i = 0; i < cidrs.size(); i++) {
            underlays.add(cidr(t.key("kernelUnderlays") + "[" + i + "]", cidrs.get(i)));
        }
        boolean insecure = t.bool("insecure").orElse(false);
        if (caFiles.isEmpty() && !insecure) {
            throw new ConfigException(t.key("caFiles"), "is required: the cluster CA certificate(s) and this "
                    + "node's certificate (trust.certFile; see docs/security.md), or trust.insecure: true for a lab "
                    + "where every holder of the swarm key is trusted");
        }
        if (!caFiles.isEmpty() && insecure) {
            throw new ConfigException(t.key("insecure"), "cannot be true with trust.caFiles");
        }
        if (!caFiles.isEmpty() && t.text("certFile").isEmpty()) {
            throw new ConfigException(t.key("certFile"), "is required with trust.caFiles: this node's certificate "
                    + "(bin/edgelink ca sign)");
        }
        return new AgentConfig.Trust(caFiles,
                t.text("certFile").map(v -> absolute(t.key("certFile"), v)),
                t.text("revocationFile").map(v -> absolute(t.key("revocationFile"), v)),
                insecure,
                t.text("clockSkew").map(v -> Durations.parse(t.key("clockSkew"), v))
                        .orElse(AgentConfig.Trust.DEFAULT_CLOCK_SKEW),
                underlays);
    }

    private static AgentConfig.Nat nat(Section s, Optional<NodeCertificate> cert) {
        String site = s.text("site").or(() -> cert.map(NodeCertificate::site)).orElse("");
        if (!SITE.matcher(site).matches()) {
            throw new ConfigException(s.key("site"), "'" + site + "' is not a site label (at most 63 letters, "
                    + "digits, '.', '_' or '-')");
        }
        Section relay = s.section("relay").only("server", "peers", "maxReservations", "maxReservationsPerIp",
                "maxCircuits", "maxCircuitsPerPeer");
        List<String> texts = relay.texts("peers");
        List<Multiaddr> peers = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String key = relay.key("peers") + "[" + i + "]";
            Multiaddr a = multiaddr(key, texts.get(i));
            if (!a.isTcp() || a.peerId().isEmpty()) {
                throw new ConfigException(key, "'" + a + "' must be a relay's TCP address ending in /p2p/<peer id>, "
                        + "e.g. /ip4/198.18.0.3/tcp/4001/p2p/12D3KooW...");
            }
            peers.add(a);
        }
        return new AgentConfig.Nat(site, relay.bool("server").orElse(false), peers,
                s.bool("holePunch").orElse(true), s.bool("userspace").orElse(true), relayLimits(relay));
    }

    private static AgentConfig.RelayLimits relayLimits(Section relay) {
        AgentConfig.RelayLimits d = AgentConfig.RelayLimits.defaults();
        int reservations = atLeastOne(relay, "maxReservations", d.maxReservations());
        int circuits = atLeastOne(relay, "maxCircuits", d.maxCircuits());
        return new AgentConfig.RelayLimits(reservations,
                atMost(relay, "maxReservationsPerIp", d.maxReservationsPerIp(), "maxReservations", reservations),
                circuits, atMost(relay, "maxCircuitsPerPeer", d.maxCircuitsPerPeer(), "maxCircuits", circuits));
    }

    /** A per-source limit: at least 1, at most its total; left out, its default capped at the total. */
    private static int atMost(Section c, String key, int otherwise, String totalKey, int total) {
        if (c.integer(key).isEmpty()) {
            return Math.min(otherwise, total);
        }
        int n = atLeastOne(c, key, otherwise);
        if (n > total) {
            throw new ConfigException(c.key(key), n + " must not be above " + c.key(totalKey) + " (" + total + ")");
        }
        return n;
    }

    private static String nodeName(String key, String name) {
        if (!NODE_NAME.matcher(name).matches()) {
            throw new ConfigException(key, "'" + name + "' is not a valid node name (lower-case letters, digits, "
                    + "'-' and '.', starting and ending with a letter or digit, at most 253 characters)");
        }
        return name;
    }

    /** An IPv4 CIDR in network form. */
    static IpPrefix cidr(String key, String text) {
        IpPrefix p;
        try {
            p = IpPrefix.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, "'" + text + "' is not a CIDR like 10.244.1.0/24 (" + e.getMessage() + ")");
        }
        if (!(p.address() instanceof Inet4Address)) {
            throw new ConfigException(key, "'" + text + "' is not IPv4; only IPv4 pod networks are supported yet");
        }
        IpPrefix network = Cidrs.network(p);
        if (!network.equals(p)) {
            throw new ConfigException(key, "'" + text + "' has host bits set; did you mean " + network + "?");
        }
        return p;
    }

    private static void checkPodCidr(String key, IpPrefix podCidr, IpPrefix clusterCidr) {
        if (podCidr.length() > 30) {
            throw new ConfigException(key, podCidr + " is too small for pods (network, gateway and broadcast are "
                    + "reserved); use /30 or larger, e.g. /24");
        }
        if (!Cidrs.contains(clusterCidr, podCidr)) {
            throw new ConfigException(key, podCidr + " is not inside clusterCidr " + clusterCidr);
        }
    }

    private static List<Multiaddr> listen(Section s) {
        List<String> texts = s.texts("listen");
        if (texts.isEmpty()) {
            texts = List.of(AgentConfig.DEFAULT_LISTEN);
        }
        List<Multiaddr> out = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String key = s.key("listen") + "[" + i + "]";
            Multiaddr a = multiaddr(key, texts.get(i));
            if (!a.isTcp() || a.peerId().isPresent()) {
                throw new ConfigException(key, "'" + a + "' must be a TCP address without /p2p, e.g. "
                        + AgentConfig.DEFAULT_LISTEN);
            }
            out.add(a);
        }
        return out;
    }

    private static List<Multiaddr> bootstrapPeers(Section s) {
        List<String> texts = s.texts("bootstrapPeers");
        List<Multiaddr> out = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String key = s.key("bootstrapPeers") + "[" + i + "]";
            Multiaddr a = multiaddr(key, texts.get(i));
            if (!a.isTcp() || a.peerId().isEmpty()) {
                throw new ConfigException(key, "'" + a + "' must be a TCP address ending in /p2p/<peer id>, e.g. "
                        + "/ip4/10.0.0.2/tcp/4001/p2p/12D3KooW...");
            }
            out.add(a);
        }
        return out;
    }

    private static Multiaddr multiaddr(String key, String text) {
        try {
            return Multiaddr.fromString(text);
        } catch (ConfigurationException e) {
            throw new ConfigException(key, e.getMessage(), e);
        }
    }

    private static List<String> mdnsInterfaces(Section s) {
        List<String> texts = s.texts("mdnsInterfaces");
        for (int i = 0; i < texts.size(); i++) {
            iface(s.key("mdnsInterfaces") + "[" + i + "]", texts.get(i));
        }
        return texts;
    }

    private static String iface(String key, String name) {
        if (!INTERFACE.matcher(name).matches()) {
            throw new ConfigException(key, "'" + name + "' is not an interface name (1 to 15 characters, no '/', "
                    + "':' or spaces)");
        }
        return name;
    }

    private static Optional<Path> pskFile(Section s) {
        Optional<String> text = s.text("pskFile");
        if (text.isEmpty()) {
            return Optional.empty();
        }
        Path file = absolute(s.key("pskFile"), text.get());
        try {
            KeyFiles.requirePrivate(file);
            SwarmKey.fromFile(file);
        } catch (ConfigurationException e) {
            throw new ConfigException(s.key("pskFile"), e.getMessage(), e);
        }
        return Optional.of(file);
    }

    private static TunnelMode tunnelMode(Section s) {
        String text = s.text("tunnelMode").orElse("auto");
        try {
            return TunnelMode.valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(s.key("tunnelMode"), "'" + text + "' is not one of auto, hostgw, vxlan, ipip");
        }
    }

    static Inet4Address ipv4(String key, String text) {
        InetAddress a;
        try {
            a = IpPrefix.literal(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, "'" + text + "' is not an IPv4 address like 10.0.0.1");
        }
        if (!(a instanceof Inet4Address)) {
            throw new ConfigException(key, "'" + text + "' is not an IPv4 address like 10.0.0.1");
        }
        return (Inet4Address) a;
    }

    private static Path absolute(String key, String text) {
        Path p = Path.of(text);
        if (!p.isAbsolute()) {
            throw new ConfigException(key, "'" + text + "' must be an absolute path");
        }
        return p.normalize();
    }

    private static Path cniSocket(Section s) {
        Path p = absolute(s.key("cniSocket"), s.text("cniSocket").orElse(AgentConfig.DEFAULT_CNI_SOCKET.toString()));
        if (p.toString().getBytes(StandardCharsets.UTF_8).length > MAX_UNIX_PATH) {
            throw new ConfigException(s.key("cniSocket"), "'" + p + "' is longer than " + MAX_UNIX_PATH
                    + " bytes, the limit of a unix socket path");
        }
        return p;
    }

    /**
     * {@code HOST:PORT} with a literal loopback host ({@code 127.0.0.1}, {@code [::1]}): the operator server answers
     * anyone who reaches it, so it must never listen beyond this machine.
     */
    public static InetSocketAddress statusAddress(String key, String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new ConfigException(key, "'" + text + "' is not HOST:PORT, e.g. "
                    + AgentConfig.DEFAULT_STATUS_ADDRESS);
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        InetAddress address;
        try {
            address = IpPrefix.literal(host);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, "host '" + host + "' must be a literal loopback address such as 127.0.0.1");
        }
        if (!address.isLoopbackAddress()) {
            throw new ConfigException(key, address.getHostAddress() + " is not a loopback address; the status "
                    + "server must listen on loopback only (e.g. 127.0.0.1)");
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw new ConfigException(key, "port '" + text.substring(colon + 1) + "' must be a number in 1..65535");
        }
        return new InetSocketAddress(address, port);
    }

    private static AgentConfig.Memory memory(Section m) {
        m.only("tunnelPeerBytes", "tunnelTotalBytes", "relayBytes");
        AgentConfig.Memory out = new AgentConfig.Memory(size(m, "tunnelPeerBytes", TunnelConfig.MIN_PEER_BYTES),
                size(m, "tunnelTotalBytes", TunnelConfig.MIN_PEER_BYTES), size(m, "relayBytes", 1 << 20));
        if (out.tunnelPeerBytes().isPresent() && out.tunnelPeerBytes().getAsLong() > Integer.MAX_VALUE) {
            throw new ConfigException(m.key("tunnelPeerBytes"), "must be below 2 GiB");
        }
        if (out.tunnelPeerBytes().isPresent() && out.tunnelTotalBytes().isPresent()
                && out.tunnelTotalBytes().getAsLong() < out.tunnelPeerBytes().getAsLong()) {
            throw new ConfigException(m.key("tunnelTotalBytes"), "must not be below memory.tunnelPeerBytes");
        }
        return out;
    }

    private static OptionalLong size(Section m, String key, long min) {
        Optional<String> text = m.text(key);
        return text.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Sizes.parse(m.key(key), text.get(), min));
    }

    private static AgentConfig.Connections connections(Section c, AgentConfig.Nat nat) {
        c.only("maxConnections", "maxPendingPerIp", "maxPendingHandshakes", "handshakeTimeout");
        AgentConfig.Connections d = AgentConfig.Connections.defaults();
        Duration handshake = c.text("handshakeTimeout").map(v -> Durations.parse(c.key("handshakeTimeout"), v))
                .orElse(d.handshakeTimeout());
        if (handshake.compareTo(HostConfig.DEFAULT_UPGRADE_TIMEOUT) > 0) {
            throw new ConfigException(c.key("handshakeTimeout"), Durations.format(handshake) + " is longer than the "
                    + "upgrade timeout (" + Durations.format(HostConfig.DEFAULT_UPGRADE_TIMEOUT) + "), which ends "
                    + "every handshake first");
        }
        return new AgentConfig.Connections(
                atLeastOne(c, "maxConnections", AgentConfig.Connections.defaultMaxConnections(nat)),
                atLeastOne(c, "maxPendingPerIp", d.maxPendingPerIp()),
                atLeastOne(c, "maxPendingHandshakes", d.maxPendingHandshakes()), handshake);
    }

    private static AgentConfig.Members members(Section m) {
        m.only("maxRecords", "pushFanout");
        AgentConfig.Members d = AgentConfig.Members.defaults();
        int records = m.integer("maxRecords").orElse(d.maxRecords());
        if (records < MIN_MEMBERS || records > MAX_MEMBERS) {
            throw new ConfigException(m.key("maxRecords"), records + " is not in " + MIN_MEMBERS + ".." + MAX_MEMBERS
                    + " (members and tombstones of the whole cluster)");
        }
        int fanout = m.integer("pushFanout").orElse(d.pushFanout());
        if (fanout < 0 || fanout > MAX_PUSH_FANOUT) {
            throw new ConfigException(m.key("pushFanout"), fanout + " is not in 0.." + MAX_PUSH_FANOUT);
        }
        return new AgentConfig.Members(records, fanout);
    }

    private static final int MIN_MEMBERS = MembershipConfig.MIN_RECORDS;
    /** A view this large holds tens of megabytes of records: a cluster larger than anything we plan for. */
    private static final int MAX_MEMBERS = 65536;
    private static final int MAX_PUSH_FANOUT = MembershipConfig.MAX_PUSH_FANOUT;

    private static int atLeastOne(Section c, String key, int otherwise) {
        int n = c.integer(key).orElse(otherwise);
        if (n < 1) {
            throw new ConfigException(c.key(key), n + " must be at least 1");
        }
        return n;
    }

    private static Timeouts timeouts(Section t) {
        t.only("recordTtl", "gossipInterval", "probeInterval", "probeTimeout", "probeFailures", "idleTimeout",
                "idleProbeInterval");
        Timeouts d = Timeouts.defaults();
        Timeouts out = new Timeouts(
                t.text("recordTtl").map(v -> Durations.parse(t.key("recordTtl"), v)).orElse(d.recordTtl()),
                t.text("gossipInterval").map(v -> Durations.parse(t.key("gossipInterval"), v))
                        .orElse(d.gossipInterval()),
                t.text("probeInterval").map(v -> Durations.parse(t.key("probeInterval"), v)).orElse(d.probeInterval()),
                t.text("probeTimeout").map(v -> Durations.parse(t.key("probeTimeout"), v)).orElse(d.probeTimeout()),
                t.integer("probeFailures").orElse(d.probeFailures()),
                t.text("idleTimeout").map(v -> Durations.parse(t.key("idleTimeout"), v)).orElse(d.idleTimeout()),
                t.text("idleProbeInterval").map(v -> Durations.parse(t.key("idleProbeInterval"), v))
                        .orElse(d.idleProbeInterval()));
        if (out.recordTtl().compareTo(out.gossipInterval().multipliedBy(4)) < 0) {
            throw new ConfigException(t.key("recordTtl"), Durations.format(out.recordTtl()) + " must be at least 4 "
                    + "gossip intervals (" + Durations.format(out.gossipInterval().multipliedBy(4))
                    + "), or records expire before they have spread");
        }
        if (out.probeTimeout().compareTo(Durations.MAX_PROBE_TIMEOUT) > 0) {
            throw new ConfigException(t.key("probeTimeout"), Durations.format(out.probeTimeout())
                    + " is longer than " + Durations.format(Durations.MAX_PROBE_TIMEOUT)
                    + "; a path that slow is not a working path");
        }
        if (out.probeFailures() < 1 || out.probeFailures() > 100) {
            throw new ConfigException(t.key("probeFailures"), out.probeFailures() + " is not in 1..100");
        }
        if (out.idleProbeInterval().compareTo(out.probeInterval()) < 0) {
            throw new ConfigException(t.key("idleProbeInterval"), Durations.format(out.idleProbeInterval())
                    + " is shorter than probeInterval (" + Durations.format(out.probeInterval())
                    + "): idle peers would be probed more often than active ones");
        }
        return out;
    }

    private static List<StaticPeerConfig> staticPeers(Section s, String self, IpPrefix ownCidr, IpPrefix cluster) {
        List<StaticPeerConfig> out = new ArrayList<>();
        Set<String> names = new HashSet<>(Set.of(self));
        List<IpPrefix> cidrs = new ArrayList<>(List.of(ownCidr));
        List<JsonNode> items = s.list("staticPeers");
        for (int i = 0; i < items.size(); i++) {
            Section p = Section.element(s.key("staticPeers") + "[" + i + "]", items.get(i))
                    .only("nodeName", "podCidr", "underlay", "vtepMac");
            String name = nodeName(p.key("nodeName"), p.text("nodeName")
                    .orElseThrow(() -> new ConfigException(p.key("nodeName"), "is required")));
            if (!names.add(name)) {
                throw new ConfigException(p.key("nodeName"), "'" + name + "' is this node's name or another "
                        + "static peer's");
            }
            IpPrefix cidr = cidr(p.key("podCidr"), p.text("podCidr")
                    .orElseThrow(() -> new ConfigException(p.key("podCidr"), "is required")));
            checkPodCidr(p.key("podCidr"), cidr, cluster);
            for (IpPrefix other : cidrs) {
                if (Cidrs.overlaps(other, cidr)) {
                    throw new ConfigException(p.key("podCidr"), cidr + " overlaps " + other);
                }
            }
            cidrs.add(cidr);
            Inet4Address underlay = ipv4(p.key("underlay"), p.text("underlay")
                    .orElseThrow(() -> new ConfigException(p.key("underlay"), "is required")));
            Optional<MacAddress> mac = p.text("vtepMac").map(v -> mac(p.key("vtepMac"), v));
            out.add(new StaticPeerConfig(name, cidr, underlay, mac));
        }
        return out;
    }

    private static MacAddress mac(String key, String text) {
        try {
            return MacAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, "'" + text + "' is not a MAC address like 02:42:0a:00:00:01");
        }
    }

    private static String localHostname() {
        try {
            String name = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
            return name.toLowerCase(Locale.ROOT);
        } catch (IOException e) {
            return "localhost";
        }
    }
}
