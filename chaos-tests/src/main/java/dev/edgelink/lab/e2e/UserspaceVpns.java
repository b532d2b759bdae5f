package dev.edgelink.lab.e2e;

import dev.edgelink.lab.ExecResult;
import dev.edgelink.lab.Lab;
import dev.edgelink.lab.LabException;
import dev.edgelink.lab.LabProcess;
import dev.edgelink.lab.Node;
import dev.edgelink.lab.Wait;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The userspace VPNs issue 4 compares against, from Debian's packages, on lab nodes: nebula (with a lighthouse and
 * punchy) and wireguard-go (configured with {@code wg} from wireguard-tools), peer to peer or through a hub. Each
 * daemon is a lab process, so it is stopped by PID at the lab's teardown at the latest; keys, certificates and
 * configs live in the lab directory. wireguard-go's control socket is on the host
 * ({@code /var/run/wireguard/<interface>.sock}), so its interface names carry the lab id, and {@link #close()}
 * removes sockets a killed daemon left behind.
 */
final class UserspaceVpns implements AutoCloseable {
    private static final Path WG_SOCKETS = Path.of("/var/run/wireguard");
    private static final Duration UP = Duration.ofSeconds(15);

    private final Lab lab;
    private final Path dir;
    private final List<String> wgInterfaces = new ArrayList<>();
    private boolean nebulaCa;

    UserspaceVpns(Lab lab) {
        this.lab = lab;
        this.dir = lab.dir().resolve("vpn");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }

    /** The packaged versions, e.g. "nebula 1.6.1, wireguard-go 0.0.20220316" (read with dpkg-query). */
    static String versions(Node any) {
        List<String> out = new ArrayList<>();
        for (String pkg : List.of("nebula", "wireguard-go")) {
            ExecResult r = any.exec("dpkg-query", "-W", "-f", "${Version}", pkg);
            out.add(pkg + " " + (r.ok() ? r.stdout().replaceAll("[+-].*", "").strip() : "(version unknown)"));
        }
        return String.join(", ", out);
    }

    // ------------------------------------------------------------------------------------------- nebula

    /**
     * Starts nebula on {@code node} with a certificate for {@code overlay} (address with prefix length) and waits
     * for its TUN device {@code nebula1}. {@code lighthouse} nodes answer queries; the others ask the lighthouse at
     * {@code lighthouseOverlay} (reached at {@code lighthouseUnderlay}, HOST:PORT) and punch (punchy).
     */
    LabProcess nebula(Node node, String overlay, int port, boolean lighthouse, String lighthouseOverlay,
            String lighthouseUnderlay) {
        String name = "nb-" + node.name();
        if (!nebulaCa) {
            node.exec("nebula-cert", "ca", "-name", "edgelink-lab-" + lab.id(), "-duration", "24h", "-out-crt",
                    dir.resolve("ca.crt").toString(), "-out-key", dir.resolve("ca.key").toString()).check();
            nebulaCa = true;
        }
        node.exec("nebula-cert", "sign", "-ca-crt", dir.resolve("ca.crt").toString(), "-ca-key",
                dir.resolve("ca.key").toString(), "-name", name, "-ip", overlay, "-out-crt",
                dir.resolve(name + ".crt").toString(), "-out-key", dir.resolve(name + ".key").toString()).check();
        String yaml = "pki: {ca: " + dir.resolve("ca.crt") + ", cert: " + dir.resolve(name + ".crt") + ", key: "
                + dir.resolve(name + ".key") + "}\n"
                + "static_host_map: {\"" + lighthouseOverlay + "\": [\"" + lighthouseUnderlay + "\"]}\n"
                + "lighthouse: {am_lighthouse: " + lighthouse + ", interval: 10, hosts: "
                + (lighthouse ? "[]" : "[\"" + lighthouseOverlay + "\"]") + "}\n"
                + "listen: {host: 0.0.0.0, port: " + port + "}\n"
                + "punchy: {punch: true, respond: true}\n"
                + "tun: {disabled: false, dev: nebula1, drop_local_broadcast: false, drop_multicast: false, "
                + "tx_queue: 500, mtu: 1300}\n"
                + "logging: {level: info, format: text}\n"
                + "firewall:\n"
                + "  outbound: [{port: any, proto: any, host: any}]\n"
                + "  inbound: [{port: any, proto: any, host: any}]\n";
        Path config = write(name + ".yml", yaml);
        LabProcess p = node.spawn(name, "nebula", "-config", config.toString());
        awaitLinkUp(node, "nebula1", p);
        return p;
    }

    // ------------------------------------------------------------------------------------------- wireguard-go

    /** The interface name of {@code suffix} on this lab: {@code wg<lab id><suffix>}, at most 15 characters. */
    String wgName(String suffix) {
        String n = "wg" + lab.id() + suffix;
        if (n.length() > 15 || !suffix.matches("[a-z0-9]+")) {
            throw new IllegalArgumentException("bad wireguard interface suffix: " + suffix);
        }
        return n;
    }

    /**
     * Starts wireguard-go on {@code node} (foreground, a lab process) as interface {@code wgName(suffix)} with a new
     * private key, UDP {@code port} and {@code address} (with prefix length), and brings it up.
     */
    LabProcess wireguard(Node node, String suffix, String address, int port) {
        String ifn = wgName(suffix);
        Path key = dir.resolve(ifn + ".key");
        write(ifn + ".key", node.exec("wg", "genkey").check().stdout());
        synchronized (this) {
            wgInterfaces.add(ifn);
        }
        LabProcess p = node.spawn(ifn, "env", "WG_PROCESS_FOREGROUND=1", "wireguard-go", "-f", ifn);
        Wait.until(ifn + "'s control socket" + logs(p), UP, () -> Files.exists(socket(ifn)) || !p.alive());
        if (!p.alive()) {
            throw new LabException("wireguard-go " + ifn + " exited: " + logs(p));
        }
        node.exec("wg", "set", ifn, "listen-port", Integer.toString(port), "private-key", key.toString()).check();
        node.exec("ip", "addr", "add", address, "dev", ifn).check();
        node.exec("ip", "link", "set", ifn, "up").check();
        return p;
    }

    /**
     * Adds the peer whose interface is {@code wgName(peerSuffix)} to {@code wgName(suffix)} on {@code node}, with
     * {@code allowedIps}, and (when not null) its {@code endpoint} HOST:PORT and a keepalive of {@code keepalive} s.
     */
    void wgPeer(Node node, String suffix, String peerSuffix, String allowedIps, String endpoint, int keepalive) {
        String peerKey = dir.resolve(wgName(peerSuffix) + ".key").toString();
        String pub = node.exec("sh", "-c", "wg pubkey < '" + peerKey + "'").check().stdout().strip();
        List<String> cmd = new ArrayList<>(List.of("wg", "set", wgName(suffix), "peer", pub, "allowed-ips",
                allowedIps));
        if (endpoint != null) {
            cmd.addAll(List.of("endpoint", endpoint, "persistent-keepalive", Integer.toString(keepalive)));
        }
        node.exec(cmd.toArray(String[]::new)).check();
    }

    private static Path socket(String ifn) {
        return WG_SOCKETS.resolve(ifn + ".sock");
    }

    // ------------------------------------------------------------------------------------------- helpers

    private static void awaitLinkUp(Node node, String dev, LabProcess p) {
        Wait.until(dev + " up in " + node + logs(p), UP, () -> !p.alive()
                || node.exec("ip", "-o", "link", "show", "dev", dev).stdout().contains("UP"));
        if (!p.alive()) {
            throw new LabException(p + " exited before " + dev + " was up: " + logs(p));
        }
    }

    /** The end of a daemon's output, for failure messages. */
    static String logs(LabProcess p) {
        String all = (p.stdout() + "\n" + p.stderr()).strip();
        return "\n  " + p + " output: " + (all.length() <= 1500 ? all : "..." + all.substring(all.length() - 1500));
    }

    private Path write(String file, String text) {
        Path p = dir.resolve(file);
        try {
            Files.writeString(p, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + p, e);
        }
        return p;
    }

    /**
     * Removes the control sockets of this lab's wireguard interfaces that are still there (wireguard-go removes
     * its own on SIGTERM; one killed with SIGKILL leaves it). Call after the lab's teardown stopped the daemons.
     */
    @Override
    public synchronized void close() {
        for (String ifn : wgInterfaces) {
            try {
                Files.deleteIfExists(socket(ifn));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove " + socket(ifn), e);
            }
        }
    }
}
