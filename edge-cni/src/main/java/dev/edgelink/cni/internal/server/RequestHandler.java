package dev.edgelink.cni.internal.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.cni.CniErrorCode;
import dev.edgelink.cni.CniException;
import dev.edgelink.cni.CniRequest;
import dev.edgelink.cni.CniResult;
import dev.edgelink.cni.CniService;
import dev.edgelink.cni.internal.client.PluginProcess;
import dev.edgelink.cni.internal.codec.AgentProtocol;
import dev.edgelink.cni.internal.codec.CniCodec;
import dev.edgelink.cni.internal.codec.HttpCodec;
import dev.edgelink.cni.internal.codec.RequestCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request's bytes to one response's bytes: decode ({@link AgentProtocol}, then the same checks the client
 * made, {@link RequestCodec}), call the {@link CniService}, encode the ADD result in the config's version. Every
 * failure becomes an error response; an exception that is not a {@link CniException} is a bug (code 999, reported
 * to the server's {@code onBug}, which counts and logs it with its stack trace).
 */
public final class RequestHandler {
    private static final Logger LOG = LoggerFactory.getLogger(RequestHandler.class);

    private final CniService service;
    private final Consumer<RuntimeException> onBug;

    /** @param onBug told of every exception that is not a {@link CniException} (the request is answered 999) */
    public RequestHandler(CniService service, Consumer<RuntimeException> onBug) {
        this.service = service;
        this.onBug = onBug;
    }

    public byte[] handle(byte[] requestBytes) {
        CniRequest request = null;
        try {
            AgentProtocol.Request raw = AgentProtocol.decodeRequest(requestBytes);
            request = RequestCodec.decode(raw.env(), raw.config());
            CniResult result = service.dispatch(request);
            JsonNode json = result == null ? null : CniCodec.encodeResult(result, request.config().cniVersion());
            return AgentProtocol.encodeSuccess(json);
        } catch (CniException e) {
            LOG.warn("CNI {} failed: {} (code {})", describe(request), e.getMessage(), e.code());
            return AgentProtocol.encodeFailure(e);
        } catch (RuntimeException e) {
            LOG.debug("CNI {} failed with a bug: {}", describe(request), e.toString());
            onBug.accept(e);
            return AgentProtocol.encodeFailure(bug(e));
        }
    }

    /** What a request that failed with a bug is answered (code 999). */
    public static CniException bug(RuntimeException e) {
        return new CniException(CniErrorCode.INTERNAL, "internal error in the edgelink agent", String.valueOf(e), e);
    }

    /**
     * One HTTP call from the launcher ({@link HttpCodec}): runs exactly what the JVM client runs
     * ({@link PluginProcess}), with this agent in place of the socket, and answers the client's stdout as the body:
     * 200 for exit 0, 500 for exit 1. A config that names another socket than {@code socket} is 421 (nothing done).
     * With {@code busy} the request is checked as usual and then answered 11 (try again later).
     */
    public byte[] handleHttp(Map<String, String> env, byte[] config, Path socket, CniException busy) {
        if (!namesSocket(config, socket)) {
            return HttpCodec.encodeResponse(HttpCodec.MISDIRECTED, new byte[0]);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit;
        try (PrintStream o = new PrintStream(out, false, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, false, StandardCharsets.UTF_8)) {
            exit = PluginProcess.run(env, config, o, e, (request, body) -> {
                if (busy != null) {
                    throw busy;
                }
                return AgentProtocol.decodeResponse(handle(body));
            });
        }
        if (exit != 0 && LOG.isDebugEnabled()) {
            LOG.debug("CNI call over HTTP failed: {}", err.toString(StandardCharsets.UTF_8).trim());
        }
        return HttpCodec.encodeResponse(exit == 0 ? 200 : HttpCodec.CNI_ERROR, out.toByteArray());
    }

    /** True unless the config decodes and names a socket other than {@code socket}. */
    private static boolean namesSocket(byte[] config, Path socket) {
        Path named;
        try {
            named = CniCodec.decodeConfig(CniCodec.parse(config, "config")).agentSocket();
        } catch (CniException e) {
            return true;
        }
        Path ours = socket.toAbsolutePath().normalize();
        if (named.normalize().equals(ours)) {
            return true;
        }
        try {
            return Files.isSameFile(named, ours);
        } catch (IOException e) {
            return false;
        }
    }

    private static String describe(CniRequest r) {
        return r == null ? "request" : r.command() + " " + r.containerId() + "/" + r.ifname();
    }
}
