package dev.edgelink.discovery.internal.trust;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.edgelink.discovery.internal.pb.TrustProto;
import dev.edgelink.discovery.trust.Fingerprint;
import dev.edgelink.discovery.trust.InvalidCertificateException;
import dev.edgelink.discovery.trust.TrustProblem;
import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.crypto.KeyType;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PubKey;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.net.IpPrefix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The three signed bodies to and from their protobuf bytes, every field checked on the way in. Pure: a bad body is
 * an {@link InvalidCertificateException} (MALFORMED) naming the subject and the field. A body must be canonical:
 * re-encoding the decoded fields gives back the same bytes, so there are no unknown fields.
 */
public final class TrustBodies {

    /** Length of a raw Ed25519 public key. */
    public static final int ED25519_KEY_BYTES = 32;

    /** The fields of a {@code CaBody}; the key is an Ed25519 key. */
    public record CaFields(String name, PubKey publicKey, long notBeforeMillis, long notAfterMillis) {
    }

    /** The fields of a {@code NodeBody}; {@code site} is "" when there is none. */
    public record NodeFields(String nodeName, PeerId peerId, List<IpPrefix> podCidrs, String site, boolean relay,
            long notBeforeMillis, long notAfterMillis, Fingerprint caFingerprint) {
    }

    /** The fields of a {@code RevocationBody}; {@code nodes} keeps the order of the body. */
    public record RevocationFields(Fingerprint caFingerprint, long sequence, long issuedAtMillis,
            List<Fingerprint> certificates, Map<String, Long> nodes) {
    }

    private TrustBodies() {
    }

    public static byte[] encodeCa(CaFields f) {
        return TrustProto.CaBody.newBuilder()
                .setName(f.name())
                .setPublicKey(ByteString.copyFrom(f.publicKey().raw()))
                .setNotBeforeMs(f.notBeforeMillis())
                .setNotAfterMs(f.notAfterMillis())
                .build().toByteArray();
    }

    /** @param subject how messages name the certificate, e.g. "CA certificate 0a1b2c3d4e5f6071" */
    public static CaFields decodeCa(byte[] body, String subject) {
        TrustProto.CaBody pb;
        try {
            pb = TrustProto.CaBody.parseFrom(body);
        } catch (InvalidProtocolBufferException e) {
            throw malformedBody(subject, "CaBody", e);
        }
        TrustFields.caName(subject, pb.getName());
        subject = subject + " ('" + pb.getName() + "')";
        TrustFields.validity(subject, pb.getNotBeforeMs(), pb.getNotAfterMs());
        CaFields f = new CaFields(pb.getName(), ed25519Key(subject, pb.getPublicKey().toByteArray()),
                pb.getNotBeforeMs(), pb.getNotAfterMs());
        requireCanonical(subject, body, encodeCa(f));
        return f;
    }

    public static byte[] encodeNode(NodeFields f) {
        TrustProto.NodeBody.Builder b = TrustProto.NodeBody.newBuilder()
                .setNodeName(f.nodeName())
                .setPeerId(ByteString.copyFrom(f.peerId().toBytes()))
                .setSite(f.site())
                .setRelay(f.relay())
                .setNotBeforeMs(f.notBeforeMillis())
                .setNotAfterMs(f.notAfterMillis())
                .setCaFingerprint(ByteString.copyFrom(f.caFingerprint().bytes()));
        f.podCidrs().forEach(p -> b.addPodCidrs(p.toString()));
        return b.build().toByteArray();
    }

    /** @param known a peer id already decoded: taken if the body's peer id is the same bytes, or null */
    public static NodeFields decodeNode(byte[] body, String subject, PeerId known) {
        TrustProto.NodeBody pb;
        try {
            pb = TrustProto.NodeBody.parseFrom(body);
        } catch (InvalidProtocolBufferException e) {
            throw malformedBody(subject, "NodeBody", e);
        }
        TrustFields.nodeName(subject, pb.getNodeName());
        subject = subject + " for node '" + pb.getNodeName() + "'";
        PeerId peer;
        try {
            byte[] raw = pb.getPeerId().toByteArray();
            peer = known != null && Arrays.equals(raw, known.toBytes()) ? known : PeerId.fromBytes(raw);
        } catch (Libp2pException | IllegalArgumentException e) {
            throw TrustCodec.malformed(subject + ": peer id is invalid: " + e.getMessage());
        }
        List<IpPrefix> cidrs = TrustFields.podCidrs(subject, pb.getPodCidrsList());
        TrustFields.site(subject, pb.getSite());
        TrustFields.validity(subject, pb.getNotBeforeMs(), pb.getNotAfterMs());
        NodeFields f = new NodeFields(pb.getNodeName(), peer, cidrs, pb.getSite(), pb.getRelay(),
                pb.getNotBeforeMs(), pb.getNotAfterMs(),
                fingerprint(subject, "CA fingerprint", pb.getCaFingerprint()));
        requireCanonical(subject, body, encodeNode(f));
        return f;
    }

    public static byte[] encodeRevocation(RevocationFields f) {
        TrustProto.RevocationBody.Builder b = TrustProto.RevocationBody.newBuilder()
                .setCaFingerprint(ByteString.copyFrom(f.caFingerprint().bytes()))
                .setSequence(f.sequence())
                .setIssuedAtMs(f.issuedAtMillis());
        f.certificates().forEach(c -> b.addCertificates(ByteString.copyFrom(c.bytes())));
        f.nodes().forEach((name, before) -> b.addNodes(TrustProto.RevokedNode.newBuilder()
                .setNodeName(name).setIssuedBeforeMs(before)));
        return b.build().toByteArray();
    }

    public static RevocationFields decodeRevocation(byte[] body, String subject) {
        TrustProto.RevocationBody pb;
        try {
            pb = TrustProto.RevocationBody.parseFrom(body);
        } catch (InvalidProtocolBufferException e) {
            throw malformedBody(subject, "RevocationBody", e);
        }
        subject = subject + " (sequence " + Long.toUnsignedString(pb.getSequence()) + ")";
        Fingerprint ca = fingerprint(subject, "CA fingerprint", pb.getCaFingerprint());
        TrustFields.unsigned63(subject, "sequence", pb.getSequence());
        TrustFields.unsigned63(subject, "issued_at_ms", pb.getIssuedAtMs());
        long entries = (long) pb.getCertificatesCount() + pb.getNodesCount();
        if (entries > TrustFields.MAX_REVOKED_ENTRIES) {
            throw TrustCodec.malformed(subject + ": " + entries + " revoked entries, more than the limit of "
                    + TrustFields.MAX_REVOKED_ENTRIES);
        }
        List<Fingerprint> certs = new ArrayList<>(pb.getCertificatesCount());
        Set<Fingerprint> seen = new HashSet<>();
        for (ByteString c : pb.getCertificatesList()) {
            Fingerprint f = fingerprint(subject, "revoked certificate fingerprint", c);
            if (!seen.add(f)) {
                throw TrustCodec.malformed(subject + ": certificate " + f.hex() + " is listed twice");
            }
            certs.add(f);
        }
        Map<String, Long> nodes = new LinkedHashMap<>();
        for (TrustProto.RevokedNode n : pb.getNodesList()) {
            TrustFields.nodeName(subject, n.getNodeName());
            TrustFields.unsigned63(subject, "issued_before_ms of node '" + n.getNodeName() + "'",
                    n.getIssuedBeforeMs());
            if (nodes.put(n.getNodeName(), n.getIssuedBeforeMs()) != null) {
                throw TrustCodec.malformed(subject + ": node '" + n.getNodeName() + "' is listed twice");
            }
        }
        RevocationFields f = new RevocationFields(ca, pb.getSequence(), pb.getIssuedAtMs(),
                Collections.unmodifiableList(certs), Collections.unmodifiableMap(nodes));
        requireCanonical(subject, body, encodeRevocation(f));
        return f;
    }

    /** The libp2p {@code PublicKey} protobuf of a raw Ed25519 key, decoded (checks that it is a curve point). */
    private static PubKey ed25519Key(String subject, byte[] raw) {
        if (raw.length != ED25519_KEY_BYTES) {
            throw TrustCodec.malformed(subject + ": public key is " + raw.length + " bytes, not the "
                    + ED25519_KEY_BYTES + " of an Ed25519 key");
        }
        byte[] marshalled = new byte[4 + raw.length];
        marshalled[0] = 0x08;                          // field 1 (Type), varint
        marshalled[1] = (byte) KeyType.ED25519.code();
        marshalled[2] = 0x12;                          // field 2 (Data), length-delimited
        marshalled[3] = (byte) raw.length;
        System.arraycopy(raw, 0, marshalled, 4, raw.length);
        try {
            return Keys.unmarshalPublicKey(marshalled);
        } catch (Libp2pException e) {
            throw TrustCodec.malformed(subject + ": public key is invalid: " + e.getMessage());
        }
    }

    private static Fingerprint fingerprint(String subject, String field, ByteString bytes) {
        if (bytes.size() != Fingerprint.BYTES) {
            throw TrustCodec.malformed(subject + ": " + field + " is " + bytes.size() + " bytes, not "
                    + Fingerprint.BYTES);
        }
        return Fingerprint.fromBytes(bytes.toByteArray());
    }

    private static void requireCanonical(String subject, byte[] body, byte[] reencoded) {
        if (!Arrays.equals(body, reencoded)) {
            throw TrustCodec.malformed(subject + ": body is not in canonical form (unknown, repeated or reordered"
                    + " fields)");
        }
    }

    private static InvalidCertificateException malformedBody(String subject, String type, Exception e) {
        return new InvalidCertificateException(TrustProblem.MALFORMED, subject + ": body is not a " + type
                + " protobuf: " + e.getMessage(), e);
    }
}
