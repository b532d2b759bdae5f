package dev.edgelink.dataplane.internal.netlink.codec;

import dev.edgelink.dataplane.netlink.MalformedMessageException;
import java.nio.ByteBuffer;

/**
 * The payload of NLMSG_ERROR ({@code struct nlmsgerr}): an ack when {@code error} is 0, else the negated errno.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                    error (s32, 0 or -errno)                   |
 * +---------------------------------------------------------------+
 * |   the request's nlmsghdr (16 bytes), then its payload unless  |
 * |   the ack is NLM_F_CAPPED (we set NETLINK_CAP_ACK)            |
 * +---------------------------------------------------------------+
 * |   if NLM_F_ACK_TLVS: attributes, NLMSGERR_ATTR_MSG = text     |
 * +---------------------------------------------------------------+
 * </pre>
 *
 * @param errno positive errno, 0 for an ack
 * @param requestSeq the sequence number of the request this answers
 * @param message the kernel's extended-ack text, or {@code null}
 */
public record ErrorMessage(int errno, int requestSeq, String message) {

    /** Decodes the payload of an NLMSG_ERROR whose own header had {@code headerFlags}. */
    public static ErrorMessage decode(ByteBuffer payload, int headerFlags) {
        ByteBuffer b = payload.duplicate().order(NetlinkHeader.ORDER);
        if (b.remaining() < 4 + NetlinkHeader.SIZE) {
            throw new MalformedMessageException("nlmsgerr needs 20 bytes, got " + b.remaining());
        }
        int error = b.getInt();
        NetlinkHeader request = NetlinkHeader.peek(b);
        String text = null;
        if ((headerFlags & Rtnl.NLM_F_ACK_TLVS) != 0) {
            int echoed = (headerFlags & Rtnl.NLM_F_CAPPED) != 0 ? NetlinkHeader.SIZE
                    : NetlinkHeader.align(request.length());
            if (echoed > b.remaining()) {
                throw new MalformedMessageException("nlmsgerr echoes " + echoed + " bytes, only " + b.remaining()
                        + " present");
            }
            b.position(b.position() + echoed);
            text = Attributes.parse(b).string(Rtnl.NLMSGERR_ATTR_MSG);
        }
        return new ErrorMessage(-error, request.seq(), text);
    }
}
