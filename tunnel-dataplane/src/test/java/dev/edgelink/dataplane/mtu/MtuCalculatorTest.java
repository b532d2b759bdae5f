package dev.edgelink.dataplane.mtu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.userspace.UserspaceBackend;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class MtuCalculatorTest {
    private final MtuCalculator calc = MtuCalculator.defaults(80);

    @Test
    void theLargestOverheadAmongThePathsCounts() {
        assertEquals(1450, calc.podMtu(1500, List.of(PathKind.HOSTGW, PathKind.VXLAN)));
        assertEquals(1480, calc.podMtu(1500, List.of(PathKind.HOSTGW, PathKind.IPIP)));
        assertEquals(1500, calc.podMtu(1500, List.of(PathKind.HOSTGW)));
        assertEquals(1420, calc.podMtu(1500, EnumSet.allOf(PathKind.class)), "userspace overhead is a parameter");
        assertEquals(8950, calc.podMtu(9000, List.of(PathKind.VXLAN)));
    }

    @Test
    void theUserspaceRungsCostEightySixBytes() {
        MtuCalculator withUserspace = MtuCalculator.defaults(UserspaceBackend.OVERHEAD_BYTES);
        assertEquals(86, UserspaceBackend.OVERHEAD_BYTES, "IPv4 20 + TCP 32 + Noise 18 + Yamux 12 + frame 4");
        assertEquals(1414, withUserspace.podMtu(1500, EnumSet.allOf(PathKind.class)));
        assertEquals(1450, withUserspace.podMtu(1500, List.of(PathKind.HOSTGW, PathKind.VXLAN)));
    }

    @Test
    void aResultBelowTheMinimumOrNoPathIsAConfigError() {
        assertEquals(576, calc.podMtu(626, List.of(PathKind.VXLAN)));
        assertThrows(IllegalArgumentException.class, () -> calc.podMtu(625, List.of(PathKind.VXLAN)));
        assertThrows(IllegalArgumentException.class, () -> calc.podMtu(1500, List.of()));
        assertThrows(IllegalArgumentException.class, () -> MtuCalculator.defaults(-1));
    }
}
