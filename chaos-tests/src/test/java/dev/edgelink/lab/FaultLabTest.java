package dev.edgelink.lab;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Fault injection with nft and tc: each fault bites while in place and heals when removed. */
@Tag("lab")
@ExtendWith(LabExtension.class)
@Timeout(120)
class FaultLabTest {
    @Test
    void dropRuleOnTheRouterBlocksOnePairThenUnblocks(Lab lab) {
        Topologies.Direct t = Topologies.direct(lab);
        assertTrue(t.n1().ping(t.n3().address()));
        Fault cut = t.router().block(t.n1().address(), t.n3().address());
        assertFalse(t.n1().ping(t.n3().address()), "n1 -> n3 while blocked");
        assertFalse(t.n3().ping(t.n1().address()), "n3 -> n1 while blocked (both ways)");
        assertTrue(t.n2().ping(t.n3().address()), "n2 -> n3 is not affected");
        cut.remove();
        assertTrue(t.n1().ping(t.n3().address()), "n1 -> n3 after removal");
        assertFalse(cut.active());
        cut.remove();
    }

    @Test
    void dropRuleOnASegmentBlocksSwitchedTraffic(Lab lab) {
        Topologies.Direct t = Topologies.direct(lab);
        try (Fault cut = t.lan().block(t.n1().address(), t.n2().address())) {
            assertFalse(t.n1().ping(t.n2().address()), "n1 -> n2 across the bridge while blocked");
            assertTrue(t.n1().ping(t.n3().address()), "n1 -> n3 via the router is not affected");
        }
        assertTrue(t.n1().ping(t.n2().address()), "n1 -> n2 after removal");
    }

    @Test
    void randomLossAndShapingComeAndGo(Lab lab) {
        Topologies.Direct t = Topologies.direct(lab);
        Fault half = t.n1().loss("eth0", 50);
        String rules = lab.exec(t.n1().netns(), "nft", "list", "ruleset").check().stdout();
        assertTrue(rules.contains("numgen random mod 100 < 50"), rules);
        half.remove();
        Fault loss = t.n1().loss("eth0", 100);
        assertFalse(t.n1().ping(t.n2().address()), "100% loss");
        loss.remove();
        assertTrue(t.n1().ping(t.n2().address()), "after the loss is removed");

        Fault segLoss = t.lan().loss(100);
        assertFalse(t.n1().ping(t.n2().address()), "100% loss on the segment");
        segLoss.remove();
        assertTrue(t.n1().ping(t.n2().address()));

        Fault shaped = t.router().shape("eth1", "10mbit");
        String qdisc = lab.exec(t.router().netns(), "tc", "qdisc", "show", "dev", "eth1").check().stdout();
        assertTrue(qdisc.contains("tbf") && qdisc.contains("10Mbit"), qdisc);
        shaped.remove();
        qdisc = lab.exec(t.router().netns(), "tc", "qdisc", "show", "dev", "eth1").check().stdout();
        assertFalse(qdisc.contains("tbf"), qdisc);
        assertTrue(t.n1().ping(t.n3().address()));
    }
}
