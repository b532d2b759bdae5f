package dev.edgelink.libp2p.multistream;

import dev.edgelink.libp2p.ProtocolViolationException;
import java.util.List;

/** The remote answered {@code na} to every protocol we proposed. */
public class UnsupportedProtocolException extends ProtocolViolationException {
    private static final long serialVersionUID = 1L;

    public UnsupportedProtocolException(List<String> proposed) {
        super("remote supports none of " + proposed);
    }
}
