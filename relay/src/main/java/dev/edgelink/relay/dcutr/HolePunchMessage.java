package dev.edgelink.relay.dcutr;

import dev.edgelink.libp2p.multiaddr.Multiaddr;
import java.util.List;

/**
 * A DCUtR message: CONNECT carries the sender's observed (and predicted) addresses, SYNC carries none.
 *
 * @param unparseable address entries that were not valid multiaddrs (left out)
 */
public record HolePunchMessage(Type type, List<Multiaddr> addresses, int unparseable) {

    /** The two message types, with their wire numbers. */
    public enum Type {
        CONNECT(100), SYNC(300);

        private final int code;

        Type(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    public HolePunchMessage {
        addresses = List.copyOf(addresses);
    }
}
