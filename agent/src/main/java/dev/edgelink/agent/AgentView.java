package dev.edgelink.agent;

import java.util.Optional;

/** What the operator server reads from a running agent (faked in tests). */
public interface AgentView {

    /** This node and every peer, now. */
    AgentStatus status();

    /**
     * Sends {@code count} probes to the named peer over the pod network and waits for them (each has the configured
     * probe timeout).
     *
     * @return empty if no peer has that name
     */
    Optional<PingReport> ping(String nodeName, int count);

    /** The metrics in Prometheus text format. */
    String metrics();
}
