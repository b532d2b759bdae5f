package dev.edgelink.cni.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.cni.CniCommand;
import dev.edgelink.cni.CniErrorCode;
import dev.edgelink.cni.CniException;
import dev.edgelink.cni.CniRequest;
import dev.edgelink.cni.CniVersions;
import dev.edgelink.cni.internal.codec.AgentProtocol;
import dev.edgelink.cni.internal.client.PluginProcess;
import dev.edgelink.cni.internal.codec.RequestCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The thin client the launcher runs for every command but VERSION: it reads the CNI_* variables and the stdin
 * configuration, checks them (so a broken conflist is reported even when the agent is down), forwards them to the
 * agent's socket named by {@code agentSocket}, and prints what the agent answered. Exit 0 on success (ADD prints
 * its result, the other commands print nothing); exit 1 with an error result on stdout (and one line on stderr)
 * on failure, as SPEC.md asks.
 *
 * <p>If the agent cannot be reached the error is 11 (try again later; for STATUS 50, not available).
 */
public final class CniClientMain {
    /** The largest configuration read from stdin. */
    public static final int MAX_STDIN_BYTES = 1 << 20;
    /** How long to wait for the agent's answer. */
    public static final Duration CALL_TIMEOUT = Duration.ofSeconds(120);

    private CniClientMain() {
    }

    public static void main(String[] args) {
        Map<String, String> env = new HashMap<>();
        for (String name : RequestCodec.VARIABLES) {
            String v = System.getenv(name);
            if (v != null) {
                env.put(name, v);
            }
        }
        System.exit(run(env, System.in, System.out, System.err));
    }

    /** The whole client; returns the exit code. Only the CNI_* entries of {@code env} are read. */
    public static int run(Map<String, String> env, InputStream stdin, PrintStream out, PrintStream err) {
        byte[] input;
        try {
            input = readStdin(stdin);
        } catch (CniException e) {
            return PluginProcess.fail(commandError(env).orElse(e), CniVersions.CURRENT, out, err);
        }
        return PluginProcess.run(env, input, out, err, CniClientMain::call);
    }

    /** A missing or unknown CNI_COMMAND is reported before anything about stdin. */
    private static Optional<CniException> commandError(Map<String, String> env) {
        try {
            RequestCodec.command(env);
            return Optional.empty();
        } catch (CniException e) {
            return Optional.of(e);
        }
    }

    private static byte[] readStdin(InputStream in) {
        try {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            byte[] chunk = new byte[8192];
            int n;
            while ((n = in.read(chunk)) >= 0) {
                buf.write(chunk, 0, n);
                if (buf.size() > MAX_STDIN_BYTES) {
                    throw new CniException(CniErrorCode.IO_FAILURE, "network config on stdin is too large",
                            "more than " + MAX_STDIN_BYTES + " bytes");
                }
            }
            return buf.toByteArray();
        } catch (IOException e) {
            throw new CniException(CniErrorCode.IO_FAILURE, "cannot read the network config from stdin",
                    String.valueOf(e.getMessage()), e);
        }
    }

    private static JsonNode call(CniRequest request, byte[] body) {
        Path socket = request.config().agentSocket();
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            CniErrorCode code = request.command() == CniCommand.STATUS ? CniErrorCode.NOT_AVAILABLE
                    : CniErrorCode.TRY_AGAIN_LATER;
            throw new CniException(code, "edgelink agent is not reachable at " + socket,
                    "is the edgelink agent running on this node? (" + e + ")", e);
        }
        AtomicBoolean timedOut = new AtomicBoolean();
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(CALL_TIMEOUT.toMillis());
                timedOut.set(true);
                ch.close();
            } catch (InterruptedException | IOException ignored) {
                // answered in time, or closed anyway
            }
        }, "edgelink-cni-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        try (ch) {
            IOException writeFailure = send(ch, body);
            byte[] response = readAll(ch);
            if (response.length == 0 && writeFailure != null) {
                throw writeFailure;
            }
            return AgentProtocol.decodeResponse(response);
        } catch (IOException e) {
            String what = timedOut.get() ? "edgelink agent did not answer in " + CALL_TIMEOUT.toSeconds() + " s"
                    : "connection to the edgelink agent failed";
            throw new CniException(CniErrorCode.TRY_AGAIN_LATER, what, String.valueOf(e), e);
        } finally {
            watchdog.interrupt();
        }
    }

    /**
     * Writes the request and half-closes. A failure is returned, not thrown: an agent that answers before reading
     * (busy, request too large) has closed its end, and its answer is still there to read.
     */
    private static IOException send(SocketChannel ch, byte[] body) {
        try {
            ByteBuffer out = ByteBuffer.wrap(body);
            while (out.hasRemaining()) {
                ch.write(out);
            }
            ch.shutdownOutput();
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    private static byte[] readAll(SocketChannel ch) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(8192);
        while (ch.read(b) >= 0) {
            buf.write(b.array(), 0, b.position());
            b.clear();
        }
        return buf.toByteArray();
    }
}
