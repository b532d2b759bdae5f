package dev.edgelink.dataplane.backend;

import dev.edgelink.dataplane.DataplaneException;

/**
 * A backend was asked to do work although {@link TunnelBackend#available()} said no: a bug in the caller (the path
 * selector never picks an unavailable rung). The message carries the verdict's reason.
 */
public final class UnavailableBackendException extends DataplaneException {
    private static final long serialVersionUID = 1L;

    public UnavailableBackendException(PathKind kind, String reason) {
        super(kind + " backend used although unavailable: " + reason);
    }
}
