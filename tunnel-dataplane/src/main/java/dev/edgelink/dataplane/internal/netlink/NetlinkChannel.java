package dev.edgelink.dataplane.internal.netlink;

import dev.edgelink.dataplane.internal.netlink.codec.ErrorMessage;
import dev.edgelink.dataplane.internal.netlink.codec.NetlinkHeader;
import dev.edgelink.dataplane.internal.netlink.codec.Rtnl;
import dev.edgelink.dataplane.netlink.MalformedMessageException;
import dev.edgelink.dataplane.netlink.NetlinkException;
import dev.edgelink.dataplane.netlink.NetlinkTransportException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Request/response over a netlink socket: gives each request the next sequence number, skips answers to older
 * requests, and ends an exchange at the ack (NLMSG_ERROR with error 0) or, for a dump, at NLMSG_DONE. A non-zero
 * error becomes the matching {@link NetlinkException} subclass. A dump interrupted by a concurrent change
 * (NLM_F_DUMP_INTR) is repeated up to {@link #DUMP_ATTEMPTS} times.
 *
 * <p>One exchange at a time: calls are serialised, so answers never interleave.
 */
final class NetlinkChannel implements AutoCloseable {
    /** How many times a dump is tried while the kernel reports it inconsistent. */
    static final int DUMP_ATTEMPTS = 5;

    private final Datagrams io;
    private int seq;

    NetlinkChannel(Datagrams io, int firstSeq) {
        this.io = io;
        this.seq = firstSeq - 1;
    }

    /**
     * Sends a request that carries NLM_F_ACK and returns the data messages that came before the ack (none for a
     * change, one for a get).
     *
     * @param request builds the message for a sequence number
     * @param operation what we are doing, in words, for error messages
     */
    synchronized List<ByteBuffer> execute(IntFunction<byte[]> request, String operation) {
        return exchange(request, false, operation).messages;
    }

    /** Sends a dump request (NLM_F_DUMP) and returns the payload of every message up to NLMSG_DONE. */
    synchronized List<ByteBuffer> dump(IntFunction<byte[]> request, String operation) {
        for (int attempt = 1; ; attempt++) {
            Result r = exchange(request, true, operation);
            if (!r.interrupted) {
                return r.messages;
            }
            if (attempt == DUMP_ATTEMPTS) {
                throw new NetlinkTransportException(operation + ": dump interrupted by concurrent changes "
                        + DUMP_ATTEMPTS + " times in a row");
            }
        }
    }

    private Result exchange(IntFunction<byte[]> request, boolean dump, String operation) {
        int mySeq = ++seq;
        io.send(request.apply(mySeq));
        Result result = new Result();
        while (true) {
            for (NetlinkHeader.Message m : NetlinkHeader.split(io.receive())) {
                NetlinkHeader h = m.header();
                if (h.seq() != mySeq) {
                    continue;
                }
                if ((h.flags() & Rtnl.NLM_F_DUMP_INTR) != 0) {
                    result.interrupted = true;
                }
                if (ends(m, dump, operation)) {
                    return result;
                }
                if (h.type() != Rtnl.NLMSG_NOOP) {
                    result.messages.add(m.payload());
                }
            }
        }
    }

    /** True for the message that ends the exchange; throws for an error. */
    private static boolean ends(NetlinkHeader.Message m, boolean dump, String operation) {
        switch (m.header().type()) {
            case Rtnl.NLMSG_ERROR: {
                ErrorMessage e = ErrorMessage.decode(m.payload(), m.header().flags());
                if (e.errno() != 0) {
                    throw NetlinkException.of(e.errno(), operation, e.message());
                }
                return true;
            }
            case Rtnl.NLMSG_DONE: {
                if (!dump) {
                    throw new MalformedMessageException(operation + ": NLMSG_DONE answered a request that is not a"
                            + " dump");
                }
                ByteBuffer p = m.payload().duplicate().order(ByteOrder.nativeOrder());
                int error = p.remaining() >= 4 ? p.getInt(p.position()) : 0;
                if (error < 0) {
                    throw NetlinkException.of(-error, operation, null);
                }
                return true;
            }
            case Rtnl.NLMSG_OVERRUN:
                throw new NetlinkTransportException(operation + ": netlink overrun, messages were lost");
            default:
                return false;
        }
    }

    @Override
    public void close() {
        io.close();
    }

    private static final class Result {
        final List<ByteBuffer> messages = new ArrayList<>();
        boolean interrupted;
    }
}
