package dev.edgelink.agent.config;

import dev.edgelink.dataplane.backend.PathKind;
import java.util.List;
import java.util.Locale;

/** Which kernel paths the agent may use: {@code auto} is the whole ladder, the others force one backend. */
public enum TunnelMode {
    /** hostgw where the peer shares a subnet, else ipip where the kernel has it, else vxlan. */
    AUTO(List.of(PathKind.HOSTGW, PathKind.IPIP, PathKind.VXLAN)),
    HOSTGW(List.of(PathKind.HOSTGW)),
    VXLAN(List.of(PathKind.VXLAN)),
    IPIP(List.of(PathKind.IPIP));

    private final List<PathKind> paths;

    TunnelMode(List<PathKind> paths) {
        this.paths = paths;
    }

    /** The rungs this mode enables, best first. */
    public List<PathKind> paths() {
        return paths;
    }

    /** The lower-case name used in the config file ("auto"). */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
