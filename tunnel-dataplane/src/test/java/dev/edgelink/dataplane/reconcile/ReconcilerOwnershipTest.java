package dev.edgelink.dataplane.reconcile;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.net.IpPrefix;
import org.junit.jupiter.api.Test;

/** Which routes the reconciler leaves to the CNI plugin: those inside this node's pod CIDR. */
class ReconcilerOwnershipTest {
    private static final IpPrefix POD_CIDR = IpPrefix.parse("10.244.1.0/24");

    @Test
    void aPodRouteInsideTheNodesPodCidrIsTheCnis() {
        assertTrue(Reconciler.within(IpPrefix.parse("10.244.1.7/32"), POD_CIDR));
        assertTrue(Reconciler.within(IpPrefix.parse("10.244.1.0/24"), POD_CIDR));
    }

    @Test
    void routesToOtherNodesPodCidrsStayOurs() {
        assertFalse(Reconciler.within(IpPrefix.parse("10.244.2.0/24"), POD_CIDR));
        assertFalse(Reconciler.within(IpPrefix.parse("10.244.0.0/16"), POD_CIDR), "a shorter prefix is not inside");
        assertFalse(Reconciler.within(IpPrefix.parse("10.245.1.7/32"), POD_CIDR));
        assertFalse(Reconciler.within(IpPrefix.parse("::/128"), POD_CIDR), "another family");
    }
}
