package dev.edgelink.cni.internal.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.cni.CniErrorCode;
import dev.edgelink.cni.CniException;
import dev.edgelink.cni.CniRequest;
import dev.edgelink.cni.CniResult;
import dev.edgelink.cni.CniService;
import dev.edgelink.cni.internal.codec.AgentProtocol;
import dev.edgelink.cni.internal.codec.CniCodec;
import dev.edgelink.cni.internal.codec.RequestCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request's bytes to one response's bytes: decode ({@link AgentProtocol}, then the same checks the client
 * made, {@link RequestCodec}), call the {@link CniService}, encode the ADD result in the config's version. Every
 * failure becomes an error response; an exception that is not a {@link CniException} is a bug (code 999, logged
 * with its stack trace).
 */
public final class RequestHandler {
    private static final Logger LOG = LoggerFactory.getLogger(RequestHandler.class);

    private final CniService service;

    public RequestHandler(CniService service) {
        this.service = service;
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
            LOG.error("CNI {} failed with a bug", describe(request), e);
            return AgentProtocol.encodeFailure(new CniException(CniErrorCode.INTERNAL, "internal error in the "
                    + "edgelink agent", String.valueOf(e), e));
        }
    }

    private static String describe(CniRequest r) {
        return r == null ? "request" : r.command() + " " + r.containerId() + "/" + r.ifname();
    }
}
