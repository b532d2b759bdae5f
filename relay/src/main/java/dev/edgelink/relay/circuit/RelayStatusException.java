package dev.edgelink.relay.circuit;

import dev.edgelink.libp2p.TransportException;
import dev.edgelink.relay.circuit.pb.CircuitProto.Status;

/** A relay (or the peer behind it) answered a hop or stop request with a status other than OK. */
public class RelayStatusException extends TransportException {

    private static final long serialVersionUID = 1L;
    private final transient Status status;

    public RelayStatusException(String what, Status status) {
        super(what + " refused: " + status + hint(status));
        this.status = status;
    }

    public Status status() {
        return status;
    }

    private static String hint(Status status) {
        switch (status) {
            case RESERVATION_REFUSED:
            case PERMISSION_DENIED:
                return " (the relay serves only its mesh's members unless it runs a limited mode)";
            case NO_RESERVATION:
                return " (the target holds no reservation on this relay)";
            case RESOURCE_LIMIT_EXCEEDED:
                return " (the relay is full; try another relay or later)";
            default:
                return "";
        }
    }
}
