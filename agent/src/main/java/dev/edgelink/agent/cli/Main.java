package dev.edgelink.agent.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgelink.discovery.trust.InvalidCertificateException;
import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.Libp2pException;
import java.time.InstantSource;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Entry point of {@code bin/edgelink}. Exit codes: 0 success, 1 the operation failed, 2 bad usage; the agent also
 * {@value dev.edgelink.agent.internal.FatalThreadHandler#EXIT_CODE} when one of its threads died (restart it).
 */
public final class Main {

    static final String USAGE = String.join("\n",
            "usage: edgelink <command> [options]",
            "  agent --config FILE                       run the node agent (until SIGTERM)",
            "  status [--json] [--agent HOST:PORT | --config FILE]",
            "                                            this node and every peer: path, why, RTT, bytes",
            "  ping NODE [--count N] [--json] [--agent HOST:PORT | --config FILE]",
            "                                            probe NODE over the pod network, say which path",
            "  p2p id --key FILE",
            "  p2p listen --key FILE --listen MULTIADDR [--listen ...] [--psk FILE] [--echo] [--relay MULTIADDR ...]"
                    + " [--mdns IFACE ...]",
            "  p2p relay --key FILE --listen MULTIADDR [--member PEERID ... | --open] [--limit-seconds N"
                    + " --limit-bytes N] [--psk FILE] [--echo]",
            "  p2p ping MULTIADDR [--count N] [--psk FILE] [--key FILE]",
            "  p2p echo MULTIADDR --bytes N [--streams K] [--psk FILE] [--key FILE]",
            "  p2p bench MULTIADDR --bytes N [--warmup-bytes N] [--handshakes N] [--psk FILE] [--key FILE]",
            "  ca init --dir DIR [--name NAME] [--validity 87600h]",
            "                                            create the cluster CA: DIR/ca.key (0600), DIR/ca.crt",
            "  ca sign --dir DIR --node NAME --pod-cidr CIDR [--pod-cidr ...] (--peer-id ID | --key NODE_KEY)",
            "          [--site SITE] [--relay] [--validity 8760h] --out FILE",
            "                                            a node certificate (a copy stays in DIR/issued/)",
            "  ca revoke --dir DIR (--node NAME | --cert FILE) --out FILE",
            "                                            add to the CA's revocation list (DIR/revocations.crl)",
            "  ca show FILE [--dir DIR | --ca FILE]      print a certificate or revocation list; with a CA, verify it",
            "The p2p and ca commands print JSON objects, one per line; failures print an 'error' event and exit 1.",
            "Exit codes: 0 success, 1 the operation failed, 2 bad usage or an invalid config,",
            "70 (agent) a thread of the agent died of an unexpected error: its supervisor restarts it.");

    private Main() {
    }

    public static void main(String[] argv) {
        System.exit(run(argv, new JsonOut(System.out)));
    }

    static int run(String[] argv, JsonOut out) {
        return run(argv, out, InstantSource.system());
    }

    /** As {@link #run(String[], JsonOut)}, with the clock the {@code ca} commands date certificates by. */
    static int run(String[] argv, JsonOut out, InstantSource clock) {
        if (argv.length < 1 || ("p2p".equals(argv[0]) || "ca".equals(argv[0])) && argv.length < 2) {
            System.err.println(USAGE);
            return 2;
        }
        try {
            switch (argv[0]) {
                case "p2p":
                    return new P2pCommands(out).run(argv[1], argv);
                case "ca":
                    return new CaCommands(out, clock).run(argv[1], argv);
                case "agent":
                    return new AgentCommand(out).run(argv);
                case "status":
                    return new OperatorCommands(out).status(argv);
                case "ping":
                    return new OperatorCommands(out).ping(argv);
                default:
                    System.err.println("edgelink: unknown command '" + argv[0] + "'\n" + USAGE);
                    return 2;
            }
        } catch (ConfigurationException e) {
            return failure(out, e, 2);
        } catch (Libp2pException e) {
            return failure(out, e, 1);
        } catch (CompletionException e) {
            if (e.getCause() instanceof ConfigurationException) {
                return failure(out, e.getCause(), 2);
            }
            return failure(out, e.getCause(), 1);
        } catch (ExecutionException e) {
            return failure(out, e.getCause(), 1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failure(out, e, 1);
        } catch (RuntimeException e) {
            return failure(out, e, 1);
        }
    }

    static int failure(JsonOut out, Throwable cause, int code) {
        String reason = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
        ObjectNode event = out.event("error").put("error", cause.getClass().getSimpleName());
        if (cause instanceof InvalidCertificateException invalid) {
            event.put("problem", invalid.problem().name());
        }
        out.print(event.put("reason", reason));
        System.err.println("edgelink: " + reason);
        return code;
    }
}
