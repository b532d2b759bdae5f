package dev.edgelink.cni.internal.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.cni.CniCommand;
import dev.edgelink.cni.CniErrorCode;
import dev.edgelink.cni.CniException;
import dev.edgelink.cni.CniRequest;
import dev.edgelink.cni.CniVersions;
import dev.edgelink.cni.internal.codec.AgentProtocol;
import dev.edgelink.cni.internal.codec.CniCodec;
import dev.edgelink.cni.internal.codec.RequestCodec;
import java.io.PrintStream;
import java.util.Map;

/**
 * What the plugin does with one invocation, given a way to reach the agent: check the CNI_* variables and the
 * configuration (so a broken conflist is reported even when the agent is down), hand the request to the agent,
 * and print what it answered: exit 0 (ADD prints its result, the other commands nothing) or exit 1 with an error
 * result on stdout and one line on stderr.
 *
 * <p>Both ways into the agent run this same code, so their output is the same byte for byte: the JVM client
 * ({@code CniClientMain}) with a call over the socket, and the agent's HTTP side (used by the launcher through
 * curl) with a call into the agent itself.
 */
public final class PluginProcess {
    private PluginProcess() {
    }

    /** Carries a checked request to the agent; returns its result ({@code null} if none) or throws its error. */
    @FunctionalInterface
    public interface AgentCall {
        JsonNode call(CniRequest request, byte[] body);
    }

    /** One invocation; returns the exit code. Only the CNI_* entries of {@code env} are read. */
    public static int run(Map<String, String> env, byte[] input, PrintStream out, PrintStream err, AgentCall agent) {
        String version = CniVersions.CURRENT;
        try {
            CniCommand command = RequestCodec.command(env);
            if (command == CniCommand.VERSION) {
                out.println(CniCodec.encodeVersion(versionOf(input)));
                return 0;
            }
            version = versionOf(input);
            JsonNode config = CniCodec.parse(input, "network config on stdin");
            CniRequest request = RequestCodec.decode(env, config);
            JsonNode result = agent.call(request, AgentProtocol.encodeRequest(env, config));
            if (result != null && command == CniCommand.ADD) {
                out.println(result);
            }
            out.flush();
            return 0;
        } catch (CniException e) {
            return fail(e, version, out, err);
        } catch (RuntimeException e) {
            CniException bug = new CniException(CniErrorCode.INTERNAL, "internal error in the edgelink CNI client",
                    String.valueOf(e), e);
            out.println(CniCodec.encodeError(bug, version));
            e.printStackTrace(err);
            return 1;
        }
    }

    /** Prints {@code e} as the error result in {@code version}; returns the exit code, 1. */
    public static int fail(CniException e, String version, PrintStream out, PrintStream err) {
        out.println(CniCodec.encodeError(e, version));
        out.flush();
        err.println("edgelink CNI: " + e.getMessage() + " (code " + e.code() + ")");
        return 1;
    }

    /** The configuration's cniVersion if it is one we speak, else the current one (for error results). */
    public static String versionOf(byte[] input) {
        try {
            String v = CniCodec.parse(input, "stdin").path("cniVersion").asText("");
            return CniVersions.isSupported(v) ? v : CniVersions.CURRENT;
        } catch (CniException e) {
            return CniVersions.CURRENT;
        }
    }
}
