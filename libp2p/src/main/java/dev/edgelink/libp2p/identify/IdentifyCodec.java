package dev.edgelink.libp2p.identify;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PubKey;
import dev.edgelink.libp2p.encoding.Varint;
import dev.edgelink.libp2p.identify.pb.IdentifyProto;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pure codec for identify messages: a uvarint length followed by the {@code Identify} protobuf. A stream may
 * carry several (js-libp2p and go-libp2p split large records); later fields override or extend earlier ones.
 */
public final class IdentifyCodec {

    private static final Logger LOG = LoggerFactory.getLogger(IdentifyCodec.class);

    private IdentifyCodec() {
    }

    public static byte[] encode(IdentifyInfo info) {
        IdentifyProto.Identify.Builder b = IdentifyProto.Identify.newBuilder()
                .setProtocolVersion(info.protocolVersion())
                .setAgentVersion(info.agentVersion())
                .addAllProtocols(info.protocols());
        info.publicKey().ifPresent(k -> b.setPublicKey(ByteString.copyFrom(k.marshal())));
        info.observedAddress().ifPresent(a -> b.setObservedAddr(ByteString.copyFrom(a.toBytes())));
        for (Multiaddr a : info.listenAddresses()) {
            b.addListenAddrs(ByteString.copyFrom(a.toBytes()));
        }
        byte[] body = b.build().toByteArray();
        byte[] prefix = Varint.encode(body.length);
        byte[] out = new byte[prefix.length + body.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(body, 0, out, prefix.length, body.length);
        return out;
    }

    /**
     * Decodes every length-prefixed message in {@code in} and merges them.
     *
     * @throws ProtocolViolationException on truncated or malformed messages, or a bad public key
     */
    public static IdentifyInfo decode(ByteBuf in, int maxMessage) {
        IdentifyProto.Identify.Builder merged = IdentifyProto.Identify.newBuilder();
        if (!in.isReadable()) {
            throw new ProtocolViolationException("identify: empty response");
        }
        while (in.isReadable()) {
            long length = Varint.read(in);
            if (length < 0 || in.readableBytes() < length) {
                throw new ProtocolViolationException("identify: truncated message");
            }
            if (length > maxMessage) {
                throw new LimitExceededException("identify message size", maxMessage, length);
            }
            byte[] body = ByteBufUtil.getBytes(in, in.readerIndex(), (int) length);
            in.skipBytes((int) length);
            try {
                merged.mergeFrom(body);
            } catch (InvalidProtocolBufferException e) {
                throw new ProtocolViolationException("identify: malformed protobuf: " + e.getMessage(), e);
            }
        }
        return toInfo(merged.build());
    }

    private static IdentifyInfo toInfo(IdentifyProto.Identify m) {
        Optional<PubKey> key = m.hasPublicKey()
                ? Optional.of(Keys.unmarshalPublicKey(m.getPublicKey().toByteArray())) : Optional.empty();
        List<Multiaddr> listen = new ArrayList<>();
        for (ByteString a : m.getListenAddrsList()) {
            parse(a).ifPresent(listen::add);
        }
        Optional<Multiaddr> observed = m.hasObservedAddr() ? parse(m.getObservedAddr()) : Optional.empty();
        return new IdentifyInfo(m.getProtocolVersion(), m.getAgentVersion(), key, listen, m.getProtocolsList(),
                observed);
    }

    /** Addresses we cannot parse (newer protocols) are skipped rather than failing the whole record. */
    private static Optional<Multiaddr> parse(ByteString bytes) {
        try {
            return Optional.of(Multiaddr.fromBytes(bytes.toByteArray()));
        } catch (Libp2pException e) {
            LOG.debug("identify: skipping unparseable address: {}", e.getMessage());
            return Optional.empty();
        }
    }
}
