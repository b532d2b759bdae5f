package dev.edgelink.dataplane.nat;

import dev.edgelink.dataplane.backend.Subnets;
import dev.edgelink.net.IpPrefix;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pod egress to destinations outside the cluster CIDR is masqueraded (flannel's ipMasq); pod-to-pod traffic keeps
 * pod source addresses. All rules live in our own table, {@code table ip edgelink}, written with {@code nft -f} as
 * one transaction that creates the table if needed, deletes it and writes it anew: applying is atomic (no moment
 * without rules) and idempotent (the same ruleset twice is the same table), and nobody else's tables are touched.
 *
 * <p>A nat chain turns connection tracking on for every packet of the node. With a VXLAN port given, the outer
 * VXLAN packets (UDP to that port, sent and received by the node itself) are exempted with {@code notrack} in two
 * raw-priority chains: the kernel's VXLAN needs no conntrack state, and the outer packets would otherwise cost a
 * second lookup per packet on top of the one for the inner pod packet, plus an entry per inner flow (the outer
 * source port is a hash of the inner flow). Inner pod packets stay tracked, so Service DNAT keeps working. A host
 * firewall must accept that port explicitly (as it must anyway for VXLAN), not through {@code ct state}.
 */
public final class Masquerade {
    public static final String TABLE = "edgelink";
    private static final Logger LOG = LoggerFactory.getLogger(Masquerade.class);
    private static final long NFT_TIMEOUT_SECONDS = 10;

    private final List<String> nft;
    private final IpPrefix clusterCidr;
    private final OptionalInt untrackedUdpPort;

    /**
     * @param nftCommand how to run nft, e.g. {@code ["nft"]}; tests prefix {@code ip netns exec NS}
     * @param clusterCidr every pod CIDR of the cluster lies inside it
     */
    public Masquerade(List<String> nftCommand, IpPrefix clusterCidr) {
        this(nftCommand, clusterCidr, OptionalInt.empty());
    }

    /**
     * @param nftCommand how to run nft
     * @param clusterCidr every pod CIDR of the cluster lies inside it
     * @param vxlanPort the UDP port of the node's VXLAN device, whose outer packets are not tracked (empty: none)
     */
    public Masquerade(List<String> nftCommand, IpPrefix clusterCidr, OptionalInt vxlanPort) {
        this.nft = List.copyOf(nftCommand);
        this.clusterCidr = Subnets.network(Objects.requireNonNull(clusterCidr, "clusterCidr"));
        vxlanPort.ifPresent(p -> {
            if (p < 1 || p > 65535) {
                throw new IllegalArgumentException("VXLAN port must be 1..65535, got " + p);
            }
        });
        this.untrackedUdpPort = vxlanPort;
    }

    /** The transaction {@link #ensure()} applies (pure). */
    public String ruleset() {
        String c = clusterCidr.toString();
        return "table ip " + TABLE + "\n"
                + "delete table ip " + TABLE + "\n"
                + "table ip " + TABLE + " {\n"
                + "    chain postrouting {\n"
                + "        type nat hook postrouting priority srcnat; policy accept;\n"
                + "        ip saddr " + c + " ip daddr " + c + " return\n"
                + "        ip saddr " + c + " ip daddr 224.0.0.0/4 return\n"
                + "        ip saddr " + c + " masquerade\n"
                + "    }\n"
                + untracked()
                + "}\n";
    }

    private String untracked() {
        if (untrackedUdpPort.isEmpty()) {
            return "";
        }
        int port = untrackedUdpPort.getAsInt();
        return "    chain vxlan_in {\n"
                + "        type filter hook prerouting priority raw; policy accept;\n"
                + "        udp dport " + port + " notrack\n"
                + "    }\n"
                + "    chain vxlan_out {\n"
                + "        type filter hook output priority raw; policy accept;\n"
                + "        udp dport " + port + " notrack\n"
                + "    }\n";
    }

    /** Installs (or rewrites) our table. */
    public void ensure() {
        run(ruleset());
        LOG.info("pod egress outside {} is masqueraded (table ip {}{})", clusterCidr, TABLE,
                untrackedUdpPort.isPresent() ? "; outer VXLAN packets to udp port " + untrackedUdpPort.getAsInt()
                        + " are not tracked" : "");
    }

    /** Removes our table; no error if it is not there. */
    public void remove() {
        run("table ip " + TABLE + "\ndelete table ip " + TABLE + "\n");
    }

    private void run(String script) {
        List<String> cmd = new ArrayList<>(nft);
        cmd.add("-f");
        cmd.add("-");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(script.getBytes(StandardCharsets.UTF_8));
            }
            if (!p.waitFor(NFT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new NftException(String.join(" ", cmd) + " did not finish in " + NFT_TIMEOUT_SECONDS + " s");
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.exitValue() != 0) {
                throw new NftException(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + out);
            }
        } catch (IOException e) {
            throw new NftException("cannot run " + String.join(" ", cmd) + " (is nftables installed?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NftException("interrupted waiting for nft", e);
        }
    }
}
