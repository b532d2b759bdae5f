package dev.edgelink.relay.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgelink.labsupport.NetnsLab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Namespaces {@code eljn-<random>-<name>} for the js interop tests that need addresses js-libp2p takes for public
 * ones: its AutoNAT and DCUtR ignore private, loopback and benchmark ranges (198.18.0.0/15 included), so these
 * labs number their links in 11.0.0.0/8. No namespace of a lab has a link to the machine's own network, so
 * nothing sent to those addresses can leave it.
 */
final class InteropLab extends NetnsLab {

    private final List<AutoCloseable> owned = new ArrayList<>();

    InteropLab() {
        super("eljn", DEFAULT_COMMAND_TIMEOUT);
    }

    /** Closes {@code process} (a peer run in one of the namespaces) when the lab closes, before its namespaces. */
    <T extends AutoCloseable> T own(T process) {
        owned.add(process);
        return process;
    }

    /** Closes what it owns, the last started first, then removes the namespaces (also when a close failed). */
    @Override
    public void close() {
        try {
            for (int i = owned.size() - 1; i >= 0; i--) {
                try {
                    owned.get(i).close();
                } catch (Exception e) {
                    throw new IllegalStateException("closing " + owned.get(i) + " failed", e);
                }
            }
        } finally {
            owned.clear();
            super.close();
        }
    }

    /** A veth pair: {@code ifA} in {@code a} with {@code addrA} (CIDR), {@code ifB} in {@code b} with {@code addrB}. */
    void link(String a, String ifA, String addrA, String b, String ifB, String addrB) {
        ip(a, "link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", b);
        ip(a, "addr", "add", addrA, "dev", ifA);
        ip(b, "addr", "add", addrB, "dev", ifB);
        ip(a, "link", "set", ifA, "up");
        ip(b, "link", "set", ifB, "up");
    }

    /** Turns {@code ns} into a router. */
    void forward(String ns) {
        assertEquals(0, execIn(ns, "sysctl", "-qw", "net.ipv4.ip_forward=1"), "ip_forward in " + ns);
    }

    /**
     * Makes {@code router} a home router: masquerade out of {@code wan} (plain masquerade keeps the source port
     * when it is free) and drop whatever arrives on {@code wan} that is not a reply.
     */
    void natRouter(String router, String wan, Path dir) throws Exception {
        forward(router);
        Path rules = dir.resolve(router + ".nft");
        Files.writeString(rules, String.join("\n",
                "table ip edgelink_nat {",
                "  chain postrouting { type nat hook postrouting priority srcnat; oifname \"" + wan
                        + "\" masquerade; }",
                "  chain forward { type filter hook forward priority filter; policy accept;",
                "    ct state established,related accept; iifname \"" + wan + "\" drop; }",
                "  chain input { type filter hook input priority filter; policy accept;",
                "    ct state established,related accept; iifname \"" + wan + "\" drop; }",
                "}", ""));
        Result r = execIn(router, List.of("nft", "-f", rules.toString()));
        assertEquals(0, r.exit(), "nft: " + r.output());
    }
}
