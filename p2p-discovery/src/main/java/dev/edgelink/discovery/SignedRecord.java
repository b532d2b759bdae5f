package dev.edgelink.discovery;

import dev.edgelink.libp2p.crypto.PubKey;
import dev.edgelink.libp2p.peer.PeerId;
import java.util.Arrays;

/**
 * A node record whose signature has been verified, together with the exact envelope bytes it arrived in (which
 * are what travels on: records are forwarded as signed, never re-encoded). Only {@link NodeRecords} creates these,
 * so holding one means the record was signed by the key of {@link #peerId()}.
 */
public final class SignedRecord {

    private final byte[] envelope;
    private final NodeRecord record;
    private final PubKey signer;

    SignedRecord(byte[] envelope, NodeRecord record, PubKey signer) {
        this.envelope = envelope;
        this.record = record;
        this.signer = signer;
    }

    public NodeRecord record() {
        return record;
    }

    public PeerId peerId() {
        return record.peerId();
    }

    public String nodeName() {
        return record.nodeName();
    }

    public long sequence() {
        return record.sequence();
    }

    public PubKey signer() {
        return signer;
    }

    /** The signed envelope, byte for byte as signed. */
    public byte[] envelope() {
        return envelope.clone();
    }

    /** Size of the envelope in bytes, without copying it. */
    public int envelopeSize() {
        return envelope.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SignedRecord other && Arrays.equals(envelope, other.envelope);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(envelope);
    }

    @Override
    public String toString() {
        return "SignedRecord{node=" + record.nodeName() + " peer=" + record.peerId() + " seq=" + record.sequence()
                + (record.leaving() ? " leaving" : "") + "}";
    }
}
