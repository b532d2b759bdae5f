package dev.edgelink.relay.autonat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.relay.autonat.pb.AutonatProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * AutoNAT v1 messages to and from protobuf bytes (the varint length prefix is {@code FrameDecoder}'s). Pure:
 * throws {@link ProtocolViolationException} for anything malformed, {@link LimitExceededException} for a DIAL
 * with more addresses than allowed. Address entries that are not valid multiaddrs are counted and left out, as
 * peers may announce transports we do not know.
 */
public final class AutonatCodec {

    /** Largest AutoNAT message accepted (as go-libp2p and js-libp2p). */
    public static final int MAX_MESSAGE = 4096;
    /** Most address entries accepted in one DIAL. */
    public static final int MAX_ADDRESSES = 64;

    private AutonatCodec() {
    }

    public static byte[] encodeDial(PeerId peer, List<Multiaddr> addresses) {
        AutonatProto.Message.PeerInfo.Builder info = AutonatProto.Message.PeerInfo.newBuilder()
                .setId(ByteString.copyFrom(peer.toBytes()));
        for (Multiaddr a : addresses) {
            info.addAddrs(ByteString.copyFrom(a.toBytes()));
        }
        return AutonatProto.Message.newBuilder()
                .setType(AutonatProto.Message.MessageType.DIAL)
                .setDial(AutonatProto.Message.Dial.newBuilder().setPeer(info))
                .build().toByteArray();
    }

    public static byte[] encodeResponse(AutonatMessage.DialResponse response) {
        AutonatProto.Message.DialResponse.Builder r = AutonatProto.Message.DialResponse.newBuilder()
                .setStatus(AutonatProto.Message.ResponseStatus.forNumber(response.status().code()))
                .setStatusText(response.text());
        response.address().ifPresent(a -> r.setAddr(ByteString.copyFrom(a.toBytes())));
        return AutonatProto.Message.newBuilder()
                .setType(AutonatProto.Message.MessageType.DIAL_RESPONSE)
                .setDialResponse(r)
                .build().toByteArray();
    }

    public static AutonatMessage decode(byte[] bytes) {
        if (bytes.length > MAX_MESSAGE) {
            throw new LimitExceededException("autonat message size", MAX_MESSAGE, bytes.length);
        }
        AutonatProto.Message m;
        try {
            m = AutonatProto.Message.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new ProtocolViolationException("autonat: not a protobuf message: " + e.getMessage());
        }
        if (!m.hasType()) {
            throw new ProtocolViolationException("autonat: message without a (known) type");
        }
        return switch (m.getType()) {
            case DIAL -> decodeDial(m);
            case DIAL_RESPONSE -> decodeResponse(m);
        };
    }

    private static AutonatMessage.Dial decodeDial(AutonatProto.Message m) {
        if (!m.hasDial() || !m.getDial().hasPeer() || !m.getDial().getPeer().hasId()) {
            throw new ProtocolViolationException("autonat: DIAL without a peer id");
        }
        AutonatProto.Message.PeerInfo info = m.getDial().getPeer();
        if (info.getAddrsCount() > MAX_ADDRESSES) {
            throw new LimitExceededException("autonat addresses", MAX_ADDRESSES, info.getAddrsCount());
        }
        PeerId peer = PeerId.fromBytes(info.getId().toByteArray());
        List<Multiaddr> addresses = new ArrayList<>();
        int unparseable = 0;
        for (ByteString raw : info.getAddrsList()) {
            try {
                addresses.add(Multiaddr.fromBytes(raw.toByteArray()));
            } catch (RuntimeException e) {
                unparseable++;
            }
        }
        return new AutonatMessage.Dial(peer, addresses, unparseable);
    }

    private static AutonatMessage.DialResponse decodeResponse(AutonatProto.Message m) {
        if (!m.hasDialResponse() || !m.getDialResponse().hasStatus()) {
            throw new ProtocolViolationException("autonat: DIAL_RESPONSE without a (known) status");
        }
        AutonatProto.Message.DialResponse r = m.getDialResponse();
        AutonatMessage.ResponseStatus status = statusOf(r.getStatus().getNumber());
        Optional<Multiaddr> address = Optional.empty();
        if (r.hasAddr()) {
            try {
                address = Optional.of(Multiaddr.fromBytes(r.getAddr().toByteArray()));
            } catch (RuntimeException e) {
                throw new ProtocolViolationException("autonat: DIAL_RESPONSE with a malformed address");
            }
        }
        return new AutonatMessage.DialResponse(status, r.getStatusText(), address);
    }

    private static AutonatMessage.ResponseStatus statusOf(int code) {
        for (AutonatMessage.ResponseStatus s : AutonatMessage.ResponseStatus.values()) {
            if (s.code() == code) {
                return s;
            }
        }
        throw new ProtocolViolationException("autonat: unknown response status " + code);
    }
}
