package dev.edgelink.dataplane.mtu;

import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.backend.ipip.IpipBackend;
import dev.edgelink.dataplane.backend.vxlan.VxlanBackend;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;

/**
 * Pod MTU = underlay MTU - the largest overhead among the paths a pod's packets may take. The pod MTU is fixed
 * when the pod is made while its packets may later move to another path, so the worst case among the enabled
 * paths counts, not the current one.
 */
public final class MtuCalculator {
    /** Below this nothing useful works (and the CNI result would be refused by runtimes): a config error. */
    public static final int MIN_POD_MTU = 576;

    private final Map<PathKind, Integer> overheads;

    /**
     * @param userspaceOverheadBytes bytes the userspace rungs (direct, relayed) add: IP + TCP + Noise + Yamux +
     *     frame header, fixed once that backend exists
     */
    public static MtuCalculator defaults(int userspaceOverheadBytes) {
        Map<PathKind, Integer> m = new EnumMap<>(PathKind.class);
        m.put(PathKind.HOSTGW, 0);
        m.put(PathKind.IPIP, IpipBackend.OVERHEAD_BYTES);
        m.put(PathKind.VXLAN, VxlanBackend.OVERHEAD_BYTES);
        m.put(PathKind.DIRECT, userspaceOverheadBytes);
        m.put(PathKind.RELAYED, userspaceOverheadBytes);
        return new MtuCalculator(m);
    }

    /** The overheads the given backends declare (others as {@link #defaults}). */
    public static MtuCalculator forBackends(Collection<? extends TunnelBackend> backends, int userspaceOverheadBytes) {
        Map<PathKind, Integer> m = new EnumMap<>(defaults(userspaceOverheadBytes).overheads);
        backends.forEach(b -> m.put(b.kind(), b.overheadBytes()));
        return new MtuCalculator(m);
    }

    public MtuCalculator(Map<PathKind, Integer> overheads) {
        for (PathKind k : PathKind.values()) {
            Integer o = overheads.get(k);
            if (o == null || o < 0) {
                throw new IllegalArgumentException("overhead of " + k + " missing or negative: " + o);
            }
        }
        this.overheads = new EnumMap<>(overheads);
    }

    public int overhead(PathKind kind) {
        return overheads.get(kind);
    }

    /**
     * @param paths the paths pods on this node may use (e.g. every rung the agent enables)
     * @throws IllegalArgumentException if {@code paths} is empty or the result is below {@link #MIN_POD_MTU}
     */
    public int podMtu(int underlayMtu, Collection<PathKind> paths) {
        if (paths.isEmpty()) {
            throw new IllegalArgumentException("no paths enabled: cannot compute a pod MTU");
        }
        int worst = paths.stream().mapToInt(this::overhead).max().getAsInt();
        int mtu = underlayMtu - worst;
        if (mtu < MIN_POD_MTU) {
            throw new IllegalArgumentException("underlay MTU " + underlayMtu + " minus " + worst
                    + " bytes of overhead leaves " + mtu + ", below " + MIN_POD_MTU
                    + "; raise the underlay MTU or disable the path with the largest overhead");
        }
        return mtu;
    }
}
