package dev.edgelink.dataplane.netlink;

import dev.edgelink.dataplane.DataplaneException;

/** Bytes that do not follow the netlink/rtnetlink layout: a length that overruns, a short header, a bad attribute. */
public class MalformedMessageException extends DataplaneException {
    private static final long serialVersionUID = 1L;

    public MalformedMessageException(String message) {
        super(message);
    }
}
