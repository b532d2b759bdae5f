package dev.edgelink.libp2p.multistream;

import dev.edgelink.libp2p.Libp2pException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import java.util.function.Function;

/**
 * Runs one multistream-select negotiation on a raw channel (the security and the muxer choice during a
 * connection upgrade) and then replaces itself with the handler for the chosen protocol. Bytes the remote sent
 * right after the selection stay in the decoder's cumulation and are passed on to that handler when this one is
 * removed, so nothing sent optimistically is lost.
 *
 * <p>On failure it fires the typed {@link Libp2pException} down the pipeline and closes the channel; it does not
 * log, the owner of the connection does.
 */
public final class MultistreamHandler extends ByteToMessageDecoder {

    private final MultistreamNegotiation negotiation;
    private final Function<String, ChannelHandler> next;
    private final int maxMessageLength;
    private boolean started;
    private boolean failed;

    /**
     * @param negotiation a fresh dialer or listener negotiation
     * @param next makes the handler that takes over once a protocol is selected
     * @param maxMessageLength the longest multistream message accepted from the remote
     */
    public MultistreamHandler(MultistreamNegotiation negotiation, Function<String, ChannelHandler> next,
            int maxMessageLength) {
        this.negotiation = negotiation;
        this.next = next;
        this.maxMessageLength = maxMessageLength;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            start(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        start(ctx);
        super.channelActive(ctx);
    }

    private void start(ChannelHandlerContext ctx) {
        if (!started) {
            started = true;
            ctx.writeAndFlush(Unpooled.wrappedBuffer(negotiation.start()));
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        try {
            String message;
            while ((message = MultistreamCodec.decode(in, maxMessageLength)) != null) {
                byte[] answer = negotiation.onMessage(message);
                if (answer.length > 0) {
                    ctx.writeAndFlush(Unpooled.wrappedBuffer(answer));
                }
                if (negotiation.state() == MultistreamNegotiation.State.SELECTED) {
                    ctx.pipeline().replace(this, null, next.apply(negotiation.selected()));
                    return;
                }
            }
        } catch (Libp2pException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            ctx.fireExceptionCaught(e);
            ctx.close();
        }
    }
}
