package dev.edgelink.agent;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * What {@code GET /ping?node=NAME} answers and {@code edgelink ping NODE} prints: probes sent over the pod network
 * to the peer's tunnel address (an address inside its pod CIDR), and the path the kernel sends them on.
 *
 * @param node the peer's node name
 * @param target the address probed (the peer's tunnel address)
 * @param path the path carrying the peer's pod traffic when the probes were sent, or null if none is verified
 * @param probes one entry per probe, in order
 */
public record PingReport(String node, String target, String path, List<Probe> probes) {
    public PingReport {
        probes = List.copyOf(probes);
    }

    /** One probe: whether the echo came back, its round-trip time (-1 if not), and the detail in words. */
    public record Probe(boolean ok, double rttMillis, String detail) {
    }

    /** Probes answered. */
    @JsonProperty("received")
    public long received() {
        return probes.stream().filter(Probe::ok).count();
    }

    /** True if at least one probe was answered. */
    @JsonProperty("ok")
    public boolean ok() {
        return received() > 0;
    }
}
