package dev.edgelink.discovery.internal.record;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.edgelink.discovery.InvalidRecordException;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import dev.edgelink.discovery.NodeRecord;
import dev.edgelink.discovery.RejectReason;
import dev.edgelink.discovery.NodeReachability;
import dev.edgelink.discovery.RelayRole;
import dev.edgelink.discovery.TunnelCapability;
import dev.edgelink.discovery.UnderlayAddress;
import dev.edgelink.discovery.internal.pb.NodeRecordProto;
import dev.edgelink.discovery.trust.InvalidCertificateException;
import dev.edgelink.discovery.trust.NodeCertificate;
import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@link NodeRecord} to and from its protobuf bytes, with every field checked on the way in. Pure: no I/O, no
 * logging; a bad field is an {@link InvalidRecordException} with reason {@link RejectReason#MALFORMED} that names it.
 *
 * <p>Unknown fields and unknown enum values (from a newer agent) are ignored, not refused: the signature covers
 * the bytes as sent, so ignoring what we do not understand never weakens it.
 */
public final class RecordCodec {

    public static final int MAX_NODE_NAME = 253;
    public static final int MAX_SITE = 63;
    public static final int MAX_POD_CIDRS = 8;
    public static final int MAX_UNDERLAY_ADDRESSES = 32;
    public static final int MAX_LISTEN_ADDRESSES = 32;

    /** A Kubernetes node name: a DNS subdomain (RFC 1123), lower case. */
    private static final Pattern NODE_NAME = Pattern.compile(
            "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern SITE = Pattern.compile("[A-Za-z0-9._-]*");

    private RecordCodec() {
    }

    public static byte[] encode(NodeRecord r) {
        NodeRecordProto.NodeRecord.Builder b = NodeRecordProto.NodeRecord.newBuilder()
                .setNodeName(r.nodeName())
                .setPeerId(ByteString.copyFrom(r.peerId().toBytes()))
                .setSite(r.site())
                .setRelayRole(r.relayRole() == RelayRole.RELAY ? NodeRecordProto.RelayRole.RELAY_ROLE_RELAY
                        : NodeRecordProto.RelayRole.RELAY_ROLE_NONE)
                .setSeq(r.sequence())
                .setIssuedAtMs(r.issuedAtMillis())
                .setExpiresAtMs(r.expiresAtMillis())
                .setLeaving(r.leaving())
                .setReachabilityValue(r.reachability().ordinal());
        r.podCidrs().forEach(p -> b.addPodCidrs(p.toString()));
        for (UnderlayAddress a : r.underlayAddresses()) {
            b.addUnderlayAddresses(NodeRecordProto.UnderlayAddress.newBuilder()
                    .setIp(IpLiteral.format(a.ip()))
                    .setPort(a.port())
                    .setKind(a.kind() == UnderlayAddress.Kind.OBSERVED
                            ? NodeRecordProto.AddressKind.ADDRESS_KIND_OBSERVED
                            : NodeRecordProto.AddressKind.ADDRESS_KIND_INTERFACE));
        }
        r.vtepMac().ifPresent(m -> b.setVtepMac(ByteString.copyFrom(m.toBytes())));
        r.tunnels().forEach(t -> b.addTunnelsValue(t.ordinal() + 1));
        r.listenAddresses().forEach(a -> b.addListenAddrs(ByteString.copyFrom(a.toBytes())));
        r.certificate().ifPresent(c -> b.setCertificate(ByteString.copyFrom(c.encoded())));
        return b.build().toByteArray();
    }

    /** A reachability from a newer node that we do not know is taken as unknown, not as an error. */
    private static NodeReachability reachability(int value) {
        NodeReachability[] all = NodeReachability.values();
        return value >= 0 && value < all.length ? all[value] : NodeReachability.UNKNOWN;
    }

    /** @throws InvalidRecordException (MALFORMED) naming the first bad field */
    public static NodeRecord decode(byte[] bytes) {
        return decode(bytes, null);
    }

    /**
     * As {@link #decode(byte[])}; a peer id in the record or its certificate equal to {@code known} (the same bytes)
     * is taken as {@code known} instead of being decoded again, which would validate its inlined key once more (an
     * Ed25519 point decompression each). {@link dev.edgelink.discovery.NodeRecords#verify} passes the signer's.
     *
     * @param known a peer id already decoded, or null
     * @throws InvalidRecordException (MALFORMED) naming the first bad field
     */
    public static NodeRecord decode(byte[] bytes, PeerId known) {
        NodeRecordProto.NodeRecord pb;
        try {
            pb = NodeRecordProto.NodeRecord.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw malformed("record is not a valid NodeRecord protobuf: " + e.getMessage(), e);
        }
        PeerId peer;
        try {
            byte[] raw = pb.getPeerId().toByteArray();
            peer = known != null && Arrays.equals(raw, known.toBytes()) ? known : PeerId.fromBytes(raw);
        } catch (Libp2pException e) {
            throw malformed("record peer id is invalid: " + e.getMessage(), e);
        }
        NodeRecord.Builder b = NodeRecord.builder(pb.getNodeName(), peer)
                .site(pb.getSite())
                .relayRole(pb.getRelayRole() == NodeRecordProto.RelayRole.RELAY_ROLE_RELAY ? RelayRole.RELAY
                        : RelayRole.NONE)
                .sequence(pb.getSeq())
                .issuedAtMillis(pb.getIssuedAtMs())
                .expiresAtMillis(pb.getExpiresAtMs())
                .leaving(pb.getLeaving())
                .reachability(reachability(pb.getReachabilityValue()));
        requireCount("pod CIDRs", pb.getPodCidrsCount(), MAX_POD_CIDRS);
        requireCount("underlay addresses", pb.getUnderlayAddressesCount(), MAX_UNDERLAY_ADDRESSES);
        requireCount("listen addresses", pb.getListenAddrsCount(), MAX_LISTEN_ADDRESSES);
        try {
            pb.getPodCidrsList().forEach(b::podCidr);
            for (NodeRecordProto.UnderlayAddress a : pb.getUnderlayAddressesList()) {
                b.underlayAddress(UnderlayAddress.of(a.getIp(), a.getPort(),
                        a.getKind() == NodeRecordProto.AddressKind.ADDRESS_KIND_OBSERVED
                                ? UnderlayAddress.Kind.OBSERVED : UnderlayAddress.Kind.INTERFACE));
            }
            if (!pb.getVtepMac().isEmpty()) {
                b.vtepMac(MacAddress.fromBytes(pb.getVtepMac().toByteArray()));
            }
        } catch (IllegalArgumentException e) {
            throw malformed("record field is invalid: " + e.getMessage(), e);
        }
        for (int value : pb.getTunnelsValueList()) {
            if (value >= 1 && value <= TunnelCapability.values().length) {
                b.tunnel(TunnelCapability.values()[value - 1]);
            }
        }
        for (ByteString a : pb.getListenAddrsList()) {
            try {
                b.listenAddress(Multiaddr.fromBytes(a.toByteArray()));
            } catch (Libp2pException e) {
                throw malformed("record listen address is invalid: " + e.getMessage(), e);
            }
        }
        if (!pb.getCertificate().isEmpty()) {
            try {
                b.certificate(NodeCertificate.parse(pb.getCertificate().toByteArray(), peer));
            } catch (InvalidCertificateException e) {
                throw malformed("record certificate is invalid: " + e.getMessage(), e);
            }
        }
        NodeRecord record = b.build();
        check(record);
        return record;
    }

    /** Checks what the record constructor does not: names, counts, times. */
    public static void check(NodeRecord r) {
        if (r.nodeName().length() > MAX_NODE_NAME || !NODE_NAME.matcher(r.nodeName()).matches()) {
            throw malformed("node name '" + r.nodeName() + "' is not a DNS subdomain of at most " + MAX_NODE_NAME
                    + " characters", null);
        }
        if (r.site().length() > MAX_SITE || !SITE.matcher(r.site()).matches()) {
            throw malformed("site label '" + r.site() + "' must be at most " + MAX_SITE
                    + " characters of [A-Za-z0-9._-]", null);
        }
        requireCount("pod CIDRs", r.podCidrs().size(), MAX_POD_CIDRS);
        requireCount("underlay addresses", r.underlayAddresses().size(), MAX_UNDERLAY_ADDRESSES);
        requireCount("listen addresses", r.listenAddresses().size(), MAX_LISTEN_ADDRESSES);
        List<IpPrefix> cidrs = r.podCidrs();
        for (int i = 0; i < cidrs.size(); i++) {
            for (int j = i + 1; j < cidrs.size(); j++) {
                if (cidrs.get(i).overlaps(cidrs.get(j))) {
                    throw malformed("pod CIDRs " + cidrs.get(i) + " and " + cidrs.get(j) + " overlap", null);
                }
            }
        }
        if (r.sequence() < 0 || r.issuedAtMillis() < 0 || r.expiresAtMillis() <= r.issuedAtMillis()) {
            throw malformed("record times are inconsistent: seq=" + r.sequence() + " issuedAt="
                    + r.issuedAtMillis() + " expiresAt=" + r.expiresAtMillis() + " (expiry must follow issue)", null);
        }
    }

    private static void requireCount(String what, int count, int max) {
        if (count > max) {
            throw malformed("record has " + count + " " + what + ", more than the limit " + max, null);
        }
    }

    private static InvalidRecordException malformed(String message, Throwable cause) {
        return new InvalidRecordException(RejectReason.MALFORMED, message, cause);
    }
}
