package dev.edgelink.relay.autonat;

import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import java.util.List;
import java.util.Optional;

/** The two AutoNAT v1 messages, decoded and checked. */
public sealed interface AutonatMessage {

    /**
     * DIAL: "dial me back at these addresses".
     *
     * @param unparseable how many address entries were not valid multiaddrs (they are left out)
     */
    record Dial(PeerId peer, List<Multiaddr> addresses, int unparseable) implements AutonatMessage {
        public Dial {
            addresses = List.copyOf(addresses);
        }
    }

    /** DIAL_RESPONSE: the outcome, and the address dialed when it worked. */
    record DialResponse(ResponseStatus status, String text, Optional<Multiaddr> address) implements AutonatMessage {
    }

    /** The wire status codes. */
    enum ResponseStatus {
        OK(0), E_DIAL_ERROR(100), E_DIAL_REFUSED(101), E_BAD_REQUEST(200), E_INTERNAL_ERROR(300);

        private final int code;

        ResponseStatus(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }
}
