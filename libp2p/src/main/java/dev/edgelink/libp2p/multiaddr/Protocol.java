package dev.edgelink.libp2p.multiaddr;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The multiaddr protocols edgelink reads and writes, with their codes and value sizes from the multiformats
 * protocol table ({@code multiformats/multiaddr protocols.csv}).
 *
 * <p>A value is either fixed-size ({@link #valueBits()} &gt; 0), absent ({@code 0}) or length-prefixed
 * ({@link #VARIABLE}). An unknown code cannot be skipped, since its size is unknown, so a multiaddr with a protocol
 * missing here cannot be decoded; that is why the table also holds protocols edgelink never dials (quic, webrtc)
 * but that peers do announce.
 */
public enum Protocol {
    IP4(4, "ip4", 32),
    TCP(6, "tcp", 16),
    IP6(41, "ip6", 128),
    IP6ZONE(42, "ip6zone", Protocol.VARIABLE),
    DNS(53, "dns", Protocol.VARIABLE),
    DNS4(54, "dns4", Protocol.VARIABLE),
    DNS6(55, "dns6", Protocol.VARIABLE),
    DNSADDR(56, "dnsaddr", Protocol.VARIABLE),
    UDP(273, "udp", 16),
    WEBRTC_DIRECT(280, "webrtc-direct", 0),
    WEBRTC(281, "webrtc", 0),
    P2P_CIRCUIT(290, "p2p-circuit", 0),
    UNIX(400, "unix", Protocol.VARIABLE),
    P2P(421, "p2p", Protocol.VARIABLE),
    HTTPS(443, "https", 0),
    TLS(448, "tls", 0),
    SNI(449, "sni", Protocol.VARIABLE),
    NOISE(454, "noise", 0),
    QUIC(460, "quic", 0),
    QUIC_V1(461, "quic-v1", 0),
    WEBTRANSPORT(465, "webtransport", 0),
    CERTHASH(466, "certhash", Protocol.VARIABLE),
    WS(477, "ws", 0),
    WSS(478, "wss", 0),
    HTTP(480, "http", 0);

    /** Value size marker of a length-prefixed value. */
    public static final int VARIABLE = -1;

    private static final Map<Integer, Protocol> BY_CODE = new HashMap<>();
    private static final Map<String, Protocol> BY_NAME = new HashMap<>();

    static {
        for (Protocol protocol : values()) {
            BY_CODE.put(protocol.code, protocol);
            BY_NAME.put(protocol.text, protocol);
        }
        // The old name of /p2p, still written by some tools; same code, printed as /p2p.
        BY_NAME.put("ipfs", P2P);
    }

    private final int code;
    private final String text;
    private final int valueBits;

    Protocol(int code, String text, int valueBits) {
        this.code = code;
        this.text = text;
        this.valueBits = valueBits;
    }

    /** The multicodec code, written as a varint before the value. */
    public int code() {
        return code;
    }

    /** The name in the text form ({@code tcp}, {@code p2p-circuit}). */
    public String protocolName() {
        return text;
    }

    /** Bits of a fixed-size value, 0 if the protocol has no value, or {@link #VARIABLE}. */
    public int valueBits() {
        return valueBits;
    }

    /** Whether a value follows the protocol in text and binary. */
    public boolean hasValue() {
        return valueBits != 0;
    }

    /** The protocol with this code, if edgelink knows it. */
    public static Optional<Protocol> forCode(long code) {
        return code > Integer.MAX_VALUE ? Optional.empty() : Optional.ofNullable(BY_CODE.get((int) code));
    }

    /** The protocol with this text name ({@code ipfs} is read as {@link #P2P}), if edgelink knows it. */
    public static Optional<Protocol> forName(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    @Override
    public String toString() {
        return text;
    }
}
