package dev.edgelink.dataplane.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.net.IpPrefix;
import java.util.List;
import org.junit.jupiter.api.Test;

class MasqueradeTest {

    @Test
    void theRulesetReplacesOnlyOurTableInOneTransaction() {
        Masquerade m = new Masquerade(List.of("nft"), IpPrefix.parse("10.244.7.9/16"));
        assertEquals("table ip edgelink\n"
                + "delete table ip edgelink\n"
                + "table ip edgelink {\n"
                + "    chain postrouting {\n"
                + "        type nat hook postrouting priority srcnat; policy accept;\n"
                + "        ip saddr 10.244.0.0/16 ip daddr 10.244.0.0/16 return\n"
                + "        ip saddr 10.244.0.0/16 ip daddr 224.0.0.0/4 return\n"
                + "        ip saddr 10.244.0.0/16 masquerade\n"
                + "    }\n"
                + "}\n", m.ruleset());
    }

    @Test
    void withAVxlanPortTheOuterPacketsAreNotTracked() {
        Masquerade m = new Masquerade(List.of("nft"), IpPrefix.parse("10.244.0.0/16"), java.util.OptionalInt.of(8472));
        String r = m.ruleset();
        assertTrue(r.contains("    chain vxlan_in {\n"
                + "        type filter hook prerouting priority raw; policy accept;\n"
                + "        udp dport 8472 notrack\n"
                + "    }\n"), r);
        assertTrue(r.contains("    chain vxlan_out {\n"
                + "        type filter hook output priority raw; policy accept;\n"
                + "        udp dport 8472 notrack\n"
                + "    }\n"), r);
        assertTrue(r.endsWith("    }\n}\n"), r);
        assertThrows(IllegalArgumentException.class,
                () -> new Masquerade(List.of("nft"), IpPrefix.parse("10.244.0.0/16"), java.util.OptionalInt.of(0)));
    }
}
