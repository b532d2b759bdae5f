package dev.edgelink.relay.circuit;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.encoding.Varint;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.relay.circuit.pb.CircuitProto.HopMessage;
import dev.edgelink.relay.circuit.pb.CircuitProto.Peer;
import dev.edgelink.relay.circuit.pb.CircuitProto.StopMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;

/**
 * Bytes to messages and back for the hop and stop protocols. Pure: no I/O, no logging; bad input throws a
 * {@link ProtocolViolationException}.
 *
 * <p>On the wire each message is a protobuf behind its length:
 *
 * <pre>
 *   +----------------------+-----------------------------------------+
 *   | uvarint length N     | N bytes: HopMessage or StopMessage      |
 *   +----------------------+-----------------------------------------+
 * </pre>
 *
 * N is at most {@link #MAX_MESSAGE} (the size go-libp2p and js-libp2p accept, far above what a message with a
 * few addresses and a voucher needs).
 */
public final class CircuitCodec {

    /** Largest message accepted and sent. */
    public static final int MAX_MESSAGE = 4096;
    /** Most addresses read from one Peer or Reservation; the rest are ignored. */
    public static final int MAX_ADDRESSES = 32;

    private CircuitCodec() {
    }

    /** A message behind its length, ready to write. */
    public static ByteBuf frame(MessageLite message) {
        byte[] body = message.toByteArray();
        if (body.length > MAX_MESSAGE) {
            throw new LimitExceededException("relay message size", MAX_MESSAGE, body.length);
        }
        ByteBuf out = Unpooled.buffer(Varint.encodedLength(body.length) + body.length);
        Varint.write(body.length, out);
        out.writeBytes(body);
        return out;
    }

    /**
     * Takes one whole message's body from {@code in} if it holds one: returns null and leaves {@code in} as it was
     * when more bytes are needed.
     *
     * @throws LimitExceededException when the announced length is above {@link #MAX_MESSAGE}
     */
    public static byte[] nextBody(ByteBuf in) {
        int start = in.readerIndex();
        long length = Varint.read(in);
        if (length == Varint.INCOMPLETE) {
            return null;
        }
        if (length > MAX_MESSAGE) {
            throw new LimitExceededException("relay message size", MAX_MESSAGE, length);
        }
        if (in.readableBytes() < length) {
            in.readerIndex(start);
            return null;
        }
        byte[] body = new byte[(int) length];
        in.readBytes(body);
        return body;
    }

    public static HopMessage decodeHop(byte[] body) {
        try {
            return HopMessage.parseFrom(body);
        } catch (InvalidProtocolBufferException e) {
            throw new ProtocolViolationException("malformed hop message: " + e.getMessage(), e);
        }
    }

    public static StopMessage decodeStop(byte[] body) {
        try {
            return StopMessage.parseFrom(body);
        } catch (InvalidProtocolBufferException e) {
            throw new ProtocolViolationException("malformed stop message: " + e.getMessage(), e);
        }
    }

    /** A Peer field with just the id (relays need not pass addresses on). */
    public static Peer peer(PeerId id) {
        return Peer.newBuilder().setId(com.google.protobuf.ByteString.copyFrom(id.toBytes())).build();
    }

    /** The peer id of a Peer field. */
    public static PeerId peerId(Peer peer) {
        return PeerId.fromBytes(peer.getId().toByteArray());
    }

    /** The addresses that parse, at most {@link #MAX_ADDRESSES}; malformed ones are skipped. */
    public static List<Multiaddr> addresses(List<com.google.protobuf.ByteString> raw) {
        List<Multiaddr> out = new ArrayList<>();
        for (com.google.protobuf.ByteString bytes : raw) {
            if (out.size() == MAX_ADDRESSES) {
                break;
            }
            try {
                out.add(Multiaddr.fromBytes(bytes.toByteArray()));
            } catch (RuntimeException ignored) {
                // an address we cannot read is one we cannot use; the others still can be
            }
        }
        return out;
    }
}
