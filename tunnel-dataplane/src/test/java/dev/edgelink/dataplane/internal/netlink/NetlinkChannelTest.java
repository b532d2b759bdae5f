package dev.edgelink.dataplane.internal.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.dataplane.internal.netlink.codec.LinkMessage;
import dev.edgelink.dataplane.internal.netlink.codec.MessageWriter;
import dev.edgelink.dataplane.internal.netlink.codec.Rtnl;
import dev.edgelink.dataplane.netlink.KernelFeatureMissingException;
import dev.edgelink.dataplane.netlink.NetlinkException;
import dev.edgelink.dataplane.netlink.NetlinkTransportException;
import dev.edgelink.dataplane.netlink.NoSuchObjectException;
import dev.edgelink.dataplane.netlink.ObjectExistsException;
import dev.edgelink.dataplane.netlink.PermissionDeniedException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Request/ack handling without a socket: a scripted kernel answers each request. */
class NetlinkChannelTest {

    /** Answers from a script; each answer is built for the sequence number of the request it follows. */
    private static final class ScriptedKernel implements Datagrams {
        final Deque<java.util.function.IntFunction<byte[]>> script = new ArrayDeque<>();
        final List<byte[]> sent = new ArrayList<>();
        int lastSeq;

        @Override
        public void send(byte[] message) {
            sent.add(message);
            lastSeq = ByteBuffer.wrap(message).order(java.nio.ByteOrder.nativeOrder()).getInt(8);
        }

        @Override
        public ByteBuffer receive() {
            return ByteBuffer.wrap(script.removeFirst().apply(lastSeq));
        }

        @Override
        public void close() {
        }
    }

    private static byte[] ack(int seq, int error, String extack) {
        MessageWriter w = new MessageWriter(Rtnl.NLMSG_ERROR, extack == null ? 0x100 : 0x300, seq).u32(-error)
                .u32(16).u16(Rtnl.RTM_NEWLINK).u16(5).u32(seq).u32(0);
        if (extack != null) {
            w.attrString(Rtnl.NLMSGERR_ATTR_MSG, extack);
        }
        return w.finish();
    }

    private static byte[] link(int seq, int flags, int index) {
        return LinkMessage.of(index).withName("l" + index).encode(Rtnl.RTM_NEWLINK, flags, seq);
    }

    private static byte[] done(int seq, int flags, int error) {
        return new MessageWriter(Rtnl.NLMSG_DONE, flags, seq).u32(error).finish();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] request(int seq) {
        return LinkMessage.of(1).encode(Rtnl.RTM_NEWLINK, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK, seq);
    }

    @Test
    void aChangeEndsAtItsAckAndNumbersRequestsInOrder() {
        ScriptedKernel k = new ScriptedKernel();
        k.script.add(s -> ack(s, 0, null));
        k.script.add(s -> ack(s, 0, null));
        NetlinkChannel c = new NetlinkChannel(k, 40);
        assertTrue(c.execute(NetlinkChannelTest::request, "op").isEmpty());
        assertTrue(c.execute(NetlinkChannelTest::request, "op").isEmpty());
        assertEquals(41, k.lastSeq);
    }

    @Test
    void answersToOlderRequestsAreSkipped() {
        ScriptedKernel k = new ScriptedKernel();
        k.script.add(s -> concat(ack(s - 1, 17, null), link(s - 1, 0, 9)));
        k.script.add(s -> concat(link(s, 0, 3), ack(s, 0, null)));
        List<ByteBuffer> replies = new NetlinkChannel(k, 5).execute(NetlinkChannelTest::request, "get");
        assertEquals(1, replies.size());
        assertEquals(3, LinkMessage.decode(replies.get(0)).index());
    }

    @ParameterizedTest(name = "errno {0} -> {1}")
    @CsvSource({"17, ObjectExistsException, EXISTS", "19, NoSuchObjectException, NOT_FOUND",
        "2, NoSuchObjectException, NOT_FOUND", "3, NoSuchObjectException, NOT_FOUND",
        "1, PermissionDeniedException, PERMISSION_DENIED", "95, KernelFeatureMissingException, NOT_SUPPORTED",
        "22, NetlinkException, OTHER"})
    void errorsMapToTypedExceptions(int errno, String type, NetlinkException.Kind kind) {
        ScriptedKernel k = new ScriptedKernel();
        k.script.add(s -> ack(s, errno, "because"));
        NetlinkException e = assertThrows(NetlinkException.class,
                () -> new NetlinkChannel(k, 1).execute(NetlinkChannelTest::request, "create link x (vxlan)"));
        assertEquals(type, e.getClass().getSimpleName());
        assertEquals(kind, e.kind());
        assertEquals(errno, e.errno());
        assertEquals("create link x (vxlan)", e.operation());
        assertEquals("because", e.kernelMessage());
        assertTrue(e.getMessage().contains("create link x (vxlan) failed: "), e.getMessage());
    }

    @Test
    void typedExceptionsAreDistinct() {
        assertInstanceOf(ObjectExistsException.class, NetlinkException.of(17, "o", null));
        assertInstanceOf(NoSuchObjectException.class, NetlinkException.of(19, "o", null));
        assertInstanceOf(PermissionDeniedException.class, NetlinkException.of(13, "o", null));
        assertInstanceOf(KernelFeatureMissingException.class, NetlinkException.of(95, "o", null));
    }

    @Test
    void aDumpSpansDatagramsUntilDone() {
        ScriptedKernel k = new ScriptedKernel();
        k.script.add(s -> concat(link(s, Rtnl.NLM_F_MULTI, 1), link(s, Rtnl.NLM_F_MULTI, 2)));
        k.script.add(s -> concat(link(s, Rtnl.NLM_F_MULTI, 3), done(s, Rtnl.NLM_F_MULTI, 0)));
        assertEquals(3, new NetlinkChannel(k, 1).dump(NetlinkChannelTest::request, "dump").size());
    }

    @Test
    void anInterruptedDumpIsRepeated() {
        ScriptedKernel k = new ScriptedKernel();
        k.script.add(s -> concat(link(s, Rtnl.NLM_F_MULTI | Rtnl.NLM_F_DUMP_INTR, 1),
                done(s, Rtnl.NLM_F_MULTI | Rtnl.NLM_F_DUMP_INTR, 0)));
        k.script.add(s -> concat(link(s, Rtnl.NLM_F_MULTI, 1), link(s, Rtnl.NLM_F_MULTI, 2),
                done(s, Rtnl.NLM_F_MULTI, 0)));
        assertEquals(2, new NetlinkChannel(k, 1).dump(NetlinkChannelTest::request, "dump").size());
        assertEquals(2, k.sent.size());
    }

    @Test
    void aDumpInterruptedEveryTimeGivesUpAtTheLimit() {
        ScriptedKernel k = new ScriptedKernel();
        for (int i = 0; i < NetlinkChannel.DUMP_ATTEMPTS; i++) {
            k.script.add(s -> done(s, Rtnl.NLM_F_MULTI | Rtnl.NLM_F_DUMP_INTR, 0));
        }
        assertThrows(NetlinkTransportException.class,
                () -> new NetlinkChannel(k, 1).dump(NetlinkChannelTest::request, "dump"));
        assertEquals(NetlinkChannel.DUMP_ATTEMPTS, k.sent.size());
    }

    @Test
    void aDumpEndingInAnErrorThrows() {
        ScriptedKernel k = new ScriptedKernel();
        k.script.add(s -> done(s, Rtnl.NLM_F_MULTI, -95));
        assertThrows(KernelFeatureMissingException.class,
                () -> new NetlinkChannel(k, 1).dump(NetlinkChannelTest::request, "dump"));
    }
}
