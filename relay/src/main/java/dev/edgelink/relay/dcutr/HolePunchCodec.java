package dev.edgelink.relay.dcutr;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.relay.dcutr.pb.HolePunchProto;
import java.util.ArrayList;
import java.util.List;

/**
 * DCUtR messages to and from protobuf bytes (the varint length prefix is {@code FrameDecoder}'s):
 *
 * <pre>
 *   HolePunch { optional Type type = 1 (CONNECT = 100, SYNC = 300); repeated bytes ObsAddrs = 2; }
 * </pre>
 *
 * Pure. Throws {@link ProtocolViolationException} for a message that is not protobuf or has no known type,
 * {@link LimitExceededException} above {@value #MAX_MESSAGE} bytes (the spec's limit) or {@value #MAX_ADDRESSES}
 * addresses. Address entries that are not multiaddrs are counted and left out.
 */
public final class HolePunchCodec {

    public static final int MAX_MESSAGE = 4096;
    public static final int MAX_ADDRESSES = 64;

    private HolePunchCodec() {
    }

    public static byte[] encode(HolePunchMessage.Type type, List<Multiaddr> addresses) {
        HolePunchProto.HolePunch.Builder b = HolePunchProto.HolePunch.newBuilder()
                .setType(HolePunchProto.HolePunch.Type.forNumber(type.code()));
        for (Multiaddr a : addresses) {
            b.addObsAddrs(ByteString.copyFrom(a.toBytes()));
        }
        return b.build().toByteArray();
    }

    public static HolePunchMessage decode(byte[] bytes) {
        if (bytes.length > MAX_MESSAGE) {
            throw new LimitExceededException("dcutr message size", MAX_MESSAGE, bytes.length);
        }
        HolePunchProto.HolePunch m;
        try {
            m = HolePunchProto.HolePunch.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new ProtocolViolationException("dcutr: not a protobuf message: " + e.getMessage());
        }
        if (!m.hasType()) {
            throw new ProtocolViolationException("dcutr: message without a (known) type");
        }
        if (m.getObsAddrsCount() > MAX_ADDRESSES) {
            throw new LimitExceededException("dcutr addresses", MAX_ADDRESSES, m.getObsAddrsCount());
        }
        HolePunchMessage.Type type = m.getType() == HolePunchProto.HolePunch.Type.CONNECT
                ? HolePunchMessage.Type.CONNECT : HolePunchMessage.Type.SYNC;
        List<Multiaddr> addresses = new ArrayList<>();
        int unparseable = 0;
        for (ByteString raw : m.getObsAddrsList()) {
            try {
                addresses.add(Multiaddr.fromBytes(raw.toByteArray()));
            } catch (RuntimeException e) {
                unparseable++;
            }
        }
        return new HolePunchMessage(type, addresses, unparseable);
    }
}
