package dev.edgelink.discovery;

import dev.edgelink.discovery.trust.NodeCertificate;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a node tells the mesh about itself: who it is, which pod CIDRs it routes, how its underlay can be reached,
 * which tunnels it supports, and for how long all this holds. Immutable; travels signed (see {@link NodeRecords}).
 *
 * <p>Versioning: a record replaces an earlier one of the same peer only with a higher {@code sequence}. It is live
 * while {@code now < expiresAtMillis}, and dead from {@code expiresAtMillis} on.
 *
 * @param nodeName the Kubernetes node name
 * @param peerId the libp2p peer id; must be the one of the key that signs the record
 * @param podCidrs the node's pod CIDRs in network form, no host bits set (at most one of each family in practice;
 *     more are allowed)
 * @param underlayAddresses interface and observed addresses of the underlay
 * @param vtepMac the MAC of the node's VXLAN device, if it has one
 * @param tunnels the tunnel mechanisms the node supports
 * @param site a free-form site label (nodes of one site usually share an L2 or L3 network)
 * @param relayRole whether the node serves as a circuit relay
 * @param listenAddresses the node's libp2p listen addresses (without {@code /p2p})
 * @param sequence the version; higher wins
 * @param issuedAtMillis when the record was signed (unix ms)
 * @param expiresAtMillis when the record dies (unix ms)
 * @param leaving true when the node announces its departure; such a record is kept as a tombstone until it expires
 * @param reachability how the node believes others can reach it (decides between a kernel path, a hole punch and
 *     the relay); {@link NodeReachability#UNKNOWN} in records of nodes that do not say
 * @param certificate what the cluster CA granted the node (name, peer id, pod CIDRs, site, relay role); empty in
 *     a cluster without a CA (insecure lab mode)
 */
public record NodeRecord(
        String nodeName,
        PeerId peerId,
        List<IpPrefix> podCidrs,
        List<UnderlayAddress> underlayAddresses,
        Optional<MacAddress> vtepMac,
        Set<TunnelCapability> tunnels,
        String site,
        RelayRole relayRole,
        List<Multiaddr> listenAddresses,
        long sequence,
        long issuedAtMillis,
        long expiresAtMillis,
        boolean leaving,
        NodeReachability reachability,
        Optional<NodeCertificate> certificate) {

    public NodeRecord {
        Objects.requireNonNull(nodeName, "nodeName");
        Objects.requireNonNull(peerId, "peerId");
        podCidrs = List.copyOf(podCidrs);
        for (IpPrefix p : podCidrs) {
            if (!p.isNetwork()) {
                throw new IllegalArgumentException("pod CIDR " + p + " has host bits set (it must be the network "
                        + "address)");
            }
        }
        underlayAddresses = List.copyOf(underlayAddresses);
        Objects.requireNonNull(vtepMac, "vtepMac");
        // An EnumSet iterates in declaration order, so the wire order of tunnels never depends on the caller.
        Set<TunnelCapability> ordered = EnumSet.noneOf(TunnelCapability.class);
        ordered.addAll(tunnels);
        tunnels = Collections.unmodifiableSet(ordered);
        Objects.requireNonNull(site, "site");
        Objects.requireNonNull(relayRole, "relayRole");
        listenAddresses = List.copyOf(listenAddresses);
        Objects.requireNonNull(reachability, "reachability");
        Objects.requireNonNull(certificate, "certificate");
    }

    public static Builder builder(String nodeName, PeerId peerId) {
        return new Builder(nodeName, peerId);
    }

    public Builder toBuilder() {
        Builder b = new Builder(nodeName, peerId);
        b.podCidrs.addAll(podCidrs);
        b.underlayAddresses.addAll(underlayAddresses);
        b.vtepMac = vtepMac.orElse(null);
        b.tunnels.addAll(tunnels);
        b.site = site;
        b.relayRole = relayRole;
        b.listenAddresses.addAll(listenAddresses);
        b.sequence = sequence;
        b.issuedAtMillis = issuedAtMillis;
        b.expiresAtMillis = expiresAtMillis;
        b.leaving = leaving;
        b.reachability = reachability;
        b.certificate = certificate.orElse(null);
        return b;
    }

    /** True while {@code nowMillis} is before the expiry. */
    public boolean isLiveAt(long nowMillis) {
        return nowMillis < expiresAtMillis;
    }

    /**
     * Whether {@code other} announces exactly what this record does, its sequence, issue time and expiry aside: a
     * mere refresh, which changes nothing for routes or connections.
     */
    public boolean sameAnnouncement(NodeRecord other) {
        return equals(other.toBuilder().sequence(sequence).issuedAtMillis(issuedAtMillis)
                .expiresAtMillis(expiresAtMillis).build());
    }

    /** Builds records; lists are appended to in call order, which is also their order on the wire. */
    public static final class Builder {
        private String nodeName;
        private PeerId peerId;
        private final List<IpPrefix> podCidrs = new ArrayList<>();
        private final List<UnderlayAddress> underlayAddresses = new ArrayList<>();
        private MacAddress vtepMac;
        private final Set<TunnelCapability> tunnels = EnumSet.noneOf(TunnelCapability.class);
        private String site = "";
        private RelayRole relayRole = RelayRole.NONE;
        private final List<Multiaddr> listenAddresses = new ArrayList<>();
        private long sequence;
        private long issuedAtMillis;
        private long expiresAtMillis;
        private boolean leaving;
        private NodeReachability reachability = NodeReachability.UNKNOWN;
        private NodeCertificate certificate;

        private Builder(String nodeName, PeerId peerId) {
            this.nodeName = nodeName;
            this.peerId = peerId;
        }

        public Builder nodeName(String name) {
            this.nodeName = name;
            return this;
        }

        public Builder peerId(PeerId id) {
            this.peerId = id;
            return this;
        }

        public Builder podCidr(String cidr) {
            return podCidr(IpPrefix.parseNetwork(cidr));
        }

        public Builder podCidr(IpPrefix cidr) {
            podCidrs.add(cidr);
            return this;
        }

        public Builder clearPodCidrs() {
            podCidrs.clear();
            return this;
        }

        public Builder underlayAddress(UnderlayAddress address) {
            underlayAddresses.add(address);
            return this;
        }

        public Builder clearUnderlayAddresses() {
            underlayAddresses.clear();
            return this;
        }

        public Builder vtepMac(MacAddress mac) {
            this.vtepMac = mac;
            return this;
        }

        public Builder tunnel(TunnelCapability capability) {
            tunnels.add(capability);
            return this;
        }

        public Builder site(String label) {
            this.site = label;
            return this;
        }

        public Builder relayRole(RelayRole role) {
            this.relayRole = role;
            return this;
        }

        public Builder listenAddress(Multiaddr address) {
            listenAddresses.add(address);
            return this;
        }

        public Builder listenAddresses(List<Multiaddr> addresses) {
            listenAddresses.clear();
            listenAddresses.addAll(addresses);
            return this;
        }

        public Builder sequence(long seq) {
            this.sequence = seq;
            return this;
        }

        public Builder issuedAtMillis(long millis) {
            this.issuedAtMillis = millis;
            return this;
        }

        public Builder expiresAtMillis(long millis) {
            this.expiresAtMillis = millis;
            return this;
        }

        public Builder leaving(boolean value) {
            this.leaving = value;
            return this;
        }

        public Builder reachability(NodeReachability value) {
            this.reachability = value;
            return this;
        }

        public Builder certificate(NodeCertificate value) {
            this.certificate = value;
            return this;
        }

        public NodeRecord build() {
            return new NodeRecord(nodeName, peerId, podCidrs, underlayAddresses, Optional.ofNullable(vtepMac),
                    tunnels, site, relayRole, listenAddresses, sequence, issuedAtMillis, expiresAtMillis, leaving,
                    reachability, Optional.ofNullable(certificate));
        }
    }
}
