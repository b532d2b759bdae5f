package dev.edgelink.relay.circuit;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.relay.circuit.pb.CircuitProto.ReservationVoucher;

/**
 * A reservation voucher: the relay's signed statement that {@code peer} holds a reservation on {@code relay}
 * until {@code expiration} (Unix seconds). Sent inside a {@link SignedEnvelope} with domain
 * {@value #DOMAIN} and payload type multicodec {@code 0x0302}.
 */
public record Voucher(PeerId relay, PeerId peer, long expiration) {

    public static final String DOMAIN = "libp2p-relay-rsvp";
    /**
     * The payload type: the multicodec 0x0302 as two big-endian bytes, as go-libp2p and js-libp2p put it (not as
     * a varint, which would be 0x82 0x06; a js relay's voucher showed which).
     */
    static final byte[] PAYLOAD_TYPE = {0x03, 0x02};

    /** The signed envelope of this voucher; {@code relayKey} must be the relay's key. */
    public byte[] seal(PrivKey relayKey) {
        byte[] payload = ReservationVoucher.newBuilder()
                .setRelay(ByteString.copyFrom(relay.toBytes()))
                .setPeer(ByteString.copyFrom(peer.toBytes()))
                .setExpiration(expiration)
                .build().toByteArray();
        return SignedEnvelope.seal(relayKey, DOMAIN, PAYLOAD_TYPE, payload);
    }

    /**
     * Opens and checks a voucher envelope: signed by {@code relay}, for {@code peer}.
     *
     * @throws ProtocolViolationException if anything does not hold
     */
    public static Voucher open(byte[] envelope, PeerId relay, PeerId peer) {
        SignedEnvelope opened = SignedEnvelope.open(envelope, DOMAIN, PAYLOAD_TYPE);
        if (!relay.matches(opened.signer())) {
            throw new ProtocolViolationException("reservation voucher not signed by relay " + relay);
        }
        ReservationVoucher v;
        try {
            v = ReservationVoucher.parseFrom(opened.payload());
        } catch (InvalidProtocolBufferException e) {
            throw new ProtocolViolationException("malformed reservation voucher: " + e.getMessage(), e);
        }
        Voucher voucher = new Voucher(PeerId.fromBytes(v.getRelay().toByteArray()),
                PeerId.fromBytes(v.getPeer().toByteArray()), v.getExpiration());
        if (!voucher.relay().equals(relay) || !voucher.peer().equals(peer)) {
            throw new ProtocolViolationException("reservation voucher names relay " + voucher.relay() + " and peer "
                    + voucher.peer() + ", expected " + relay + " and " + peer);
        }
        return voucher;
    }
}
