package dev.edgelink.agent.lab;

import dev.edgelink.labsupport.NetnsLab;
import java.time.Duration;

/**
 * The agent's namespace lab (see {@link NetnsLab}): namespaces named {@code ela-<random>-<suffix>}, and a longer
 * command timeout, since a command here may be a whole agent CLI run on a fresh JVM.
 */
final class AgentLab extends NetnsLab {
    private AgentLab() {
        super("ela", Duration.ofSeconds(60));
    }

    static AgentLab open() {
        requireRoot("agent lab tests need root (network namespaces, veth, vxlan)");
        return new AgentLab();
    }
}
