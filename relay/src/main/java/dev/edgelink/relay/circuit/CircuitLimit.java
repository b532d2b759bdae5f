package dev.edgelink.relay.circuit;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.relay.circuit.pb.CircuitProto.Limit;
import java.time.Duration;

/**
 * What a relay allows one relayed connection: at most {@code duration}, at most {@code dataBytes} in both
 * directions together. A circuit without a limit (the mesh's own members) has no {@code CircuitLimit} at all.
 */
public record CircuitLimit(Duration duration, long dataBytes) {

    public CircuitLimit {
        if (duration.isNegative() || duration.isZero() || duration.getSeconds() > 0xffffffffL) {
            throw new ConfigurationException("circuit duration limit must be 1 s .. 2^32-1 s, not " + duration);
        }
        if (dataBytes <= 0) {
            throw new ConfigurationException("circuit data limit must be positive, not " + dataBytes);
        }
    }

    /** The wire form. */
    Limit toProto() {
        return Limit.newBuilder().setDuration((int) duration.getSeconds()).setData(dataBytes).build();
    }

    /** A wire Limit (either field may be absent: that part is then unlimited, here Long.MAX_VALUE / 136 years). */
    static CircuitLimit fromProto(Limit limit) {
        Duration d = limit.hasDuration() && limit.getDuration() != 0
                ? Duration.ofSeconds(Integer.toUnsignedLong(limit.getDuration())) : Duration.ofSeconds(0xffffffffL);
        long data = limit.hasData() && limit.getData() > 0 ? limit.getData() : Long.MAX_VALUE;
        return new CircuitLimit(d, data);
    }
}
