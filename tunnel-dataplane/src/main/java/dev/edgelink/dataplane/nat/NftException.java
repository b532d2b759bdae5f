package dev.edgelink.dataplane.nat;

import dev.edgelink.dataplane.DataplaneException;

/** nft refused a ruleset or could not be run; the message carries its output. */
public final class NftException extends DataplaneException {
    private static final long serialVersionUID = 1L;

    public NftException(String message) {
        super(message);
    }

    public NftException(String message, Throwable cause) {
        super(message, cause);
    }
}
