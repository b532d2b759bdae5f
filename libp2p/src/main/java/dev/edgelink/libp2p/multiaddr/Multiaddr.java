package dev.edgelink.libp2p.multiaddr;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.InternalException;
import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.encoding.Varint;
import dev.edgelink.libp2p.peer.PeerId;
import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A multiaddr: a self-describing network address, read left to right as a stack of protocols.
 *
 * <pre>
 *  text:    /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...
 *
 *  binary:  one component after another, nothing between or after them
 *  +---------------+------------------------------------------------+
 *  | code (varint) | value                                          |  ...
 *  +---------------+------------------------------------------------+
 *                    fixed size (ip4 4 B, ip6 16 B, tcp/udp 2 B),
 *                    absent (p2p-circuit, ws, tls, ...), or
 *                    +------------------+-------------------------+
 *                    | length (varint)  | length bytes            |  (dns*, unix, p2p, sni, certhash)
 *                    +------------------+-------------------------+
 *
 *  04 7f000001  06 0fa1  a503 26 0024080112...   = /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...
 * </pre>
 *
 * <p>Immutable; equality is that of the binary form, so {@code /ipfs/Qm...} equals {@code /p2p/Qm...}. Text from a
 * user that does not parse is a {@link ConfigurationException} naming the offending part; bytes from a peer that do
 * not decode are a {@link ProtocolViolationException}.
 */
public final class Multiaddr {

    /** Longest binary multiaddr accepted; a relayed address with two peer ids and a DNS name is far below it. */
    public static final int MAX_BYTES = 1024;

    /** One protocol of a multiaddr and its value in text form ({@code ""} for protocols without a value). */
    public record Component(Protocol protocol, String value) {
        @Override
        public String toString() {
            return protocol.hasValue() ? "/" + protocol + "/" + value : "/" + protocol;
        }
    }

    private final byte[] bytes;
    private final List<Component> components;
    private final List<byte[]> rawValues;

    private Multiaddr(byte[] bytes, List<Component> components, List<byte[]> rawValues) {
        this.bytes = bytes;
        this.components = Collections.unmodifiableList(components);
        this.rawValues = rawValues;
    }

    /**
     * Parses the text form. A trailing {@code /} is ignored and {@code /ipfs} is read as {@code /p2p}.
     *
     * @throws ConfigurationException naming the text and the part that is wrong
     */
    public static Multiaddr fromString(String text) {
        try {
            return parse(text);
        } catch (ConfigurationException e) {
            throw new ConfigurationException("invalid multiaddr '" + text + "': " + e.getMessage(), e);
        }
    }

    private static Multiaddr parse(String text) {
        if (!text.startsWith("/") || text.equals("/")) {
            throw new ConfigurationException("a multiaddr starts with '/' and a protocol, e.g. /ip4/10.0.0.1/tcp/4001");
        }
        String body = text.endsWith("/") ? text.substring(1, text.length() - 1) : text.substring(1);
        String[] parts = body.split("/", -1);
        Builder builder = new Builder();
        for (int i = 0; i < parts.length; i++) {
            String name = parts[i];
            Protocol protocol = Protocol.forName(name).orElseThrow(() -> new ConfigurationException(
                    name.isEmpty() ? "empty protocol name (double '/')" : "unknown protocol '" + name + "'"));
            if (!protocol.hasValue()) {
                builder.add(protocol, new byte[0], "");
                continue;
            }
            if (++i >= parts.length) {
                throw new ConfigurationException("/" + protocol + " needs a value");
            }
            byte[] value = ValueCodec.parse(protocol, parts[i]);
            builder.add(protocol, value, ValueCodec.format(protocol, value));
        }
        if (builder.size() > MAX_BYTES) {
            throw new ConfigurationException("longer than " + MAX_BYTES + " bytes in binary form");
        }
        return builder.build();
    }

    /**
     * Decodes the binary form, as sent by peers (identify, relay, records).
     *
     * @throws ProtocolViolationException if the bytes are empty, truncated, longer than {@value #MAX_BYTES}, use an
     *     unknown protocol code, or hold a value that is invalid for its protocol
     */
    public static Multiaddr fromBytes(byte[] bytes) {
        if (bytes.length > MAX_BYTES) {
            throw new LimitExceededException("multiaddr bytes", MAX_BYTES, bytes.length);
        }
        if (bytes.length == 0) {
            throw new ProtocolViolationException("empty multiaddr");
        }
        Builder builder = new Builder();
        int pos = 0;
        while (pos < bytes.length) {
            Varint.Decoded code = Varint.decode(bytes, pos);
            pos += code.length();
            Protocol protocol = Protocol.forCode(code.value()).orElseThrow(() -> new ProtocolViolationException(
                    "unknown multiaddr protocol code " + code.value()));
            int length = protocol.valueBits() / 8;
            if (protocol.valueBits() == Protocol.VARIABLE) {
                Varint.Decoded prefix = Varint.decode(bytes, pos);
                pos += prefix.length();
                length = (int) Math.min(prefix.value(), Integer.MAX_VALUE);
            }
            if (length > bytes.length - pos) {
                throw new ProtocolViolationException("multiaddr truncated in the value of /" + protocol);
            }
            byte[] value = Arrays.copyOfRange(bytes, pos, pos + length);
            pos += length;
            String text;
            try {
                text = protocol.hasValue() ? ValueCodec.format(protocol, value) : "";
            } catch (ProtocolViolationException e) {
                throw new ProtocolViolationException("invalid /" + protocol + " value: " + e.getMessage(), e);
            }
            builder.add(protocol, value, text);
        }
        return builder.build();
    }

    /** The TCP address {@code /ip4/<a>/tcp/<port>} or {@code /ip6/<a>/tcp/<port>}; an unresolved one as /dns. */
    public static Multiaddr tcp(InetSocketAddress address) {
        Builder builder = new Builder();
        InetAddress ip = address.getAddress();
        if (ip == null) {
            builder.add(Protocol.DNS, ValueCodec.parse(Protocol.DNS, address.getHostString()), address.getHostString());
        } else {
            Protocol protocol = ip instanceof Inet4Address ? Protocol.IP4 : Protocol.IP6;
            builder.add(protocol, ip.getAddress(), ValueCodec.format(protocol, ip.getAddress()));
        }
        byte[] port = {(byte) (address.getPort() >> 8), (byte) address.getPort()};
        builder.add(Protocol.TCP, port, Integer.toString(address.getPort()));
        return builder.build();
    }

    /** The binary form. */
    public byte[] toBytes() {
        return bytes.clone();
    }

    /** The protocols in order with their text values. */
    public List<Component> components() {
        return components;
    }

    /** The text value of the first component of {@code protocol} ({@code ""} if it has no value), if present. */
    public Optional<String> valueOf(Protocol protocol) {
        return components.stream().filter(c -> c.protocol() == protocol).map(Component::value).findFirst();
    }

    /**
     * The peer this address reaches: the last {@code /p2p} component, unless a {@code /p2p-circuit} follows it (then
     * the address reaches an unnamed peer through that relay, and the id is the relay's, not the target's).
     */
    public Optional<PeerId> peerId() {
        for (int i = components.size() - 1; i >= 0; i--) {
            Protocol protocol = components.get(i).protocol();
            if (protocol == Protocol.P2P) {
                return Optional.of(PeerId.fromBytes(rawValues.get(i)));
            }
            if (protocol == Protocol.P2P_CIRCUIT) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** This address followed by {@code inner}: {@code /ip4/1.2.3.4/tcp/1} + {@code /ws} = {@code .../tcp/1/ws}. */
    public Multiaddr encapsulate(Multiaddr inner) {
        Builder builder = new Builder();
        builder.addAll(this);
        builder.addAll(inner);
        return builder.build();
    }

    /**
     * This address ending in {@code /p2p/<id>}; unchanged if it already names that peer.
     *
     * @throws ConfigurationException if it already names a different peer
     */
    public Multiaddr withPeerId(PeerId id) {
        Optional<PeerId> present = peerId();
        if (present.isPresent()) {
            if (present.get().equals(id)) {
                return this;
            }
            throw new ConfigurationException("multiaddr " + this + " already names peer " + present.get()
                    + ", not " + id);
        }
        Builder builder = new Builder();
        builder.addAll(this);
        builder.add(Protocol.P2P, id.toBytes(), id.toBase58());
        return builder.build();
    }

    /** This address without a final {@code /p2p/<id>}; unchanged if it does not end in one. */
    public Multiaddr withoutPeerId() {
        int last = components.size() - 1;
        if (last < 1 || components.get(last).protocol() != Protocol.P2P) {
            return this;
        }
        Builder builder = new Builder();
        for (int i = 0; i < last; i++) {
            builder.add(components.get(i).protocol(), rawValues.get(i), components.get(i).value());
        }
        return builder.build();
    }

    /**
     * Whether this is a plain TCP address: {@code /ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>}, optionally followed by
     * {@code /p2p/<id>}, and nothing else (no /ws, no relay).
     */
    public boolean isTcp() {
        int size = components.size();
        if (size < 2 || size > 3 || components.get(1).protocol() != Protocol.TCP) {
            return false;
        }
        Protocol host = components.get(0).protocol();
        boolean hostOk = host == Protocol.IP4 || host == Protocol.IP6 || host == Protocol.DNS
                || host == Protocol.DNS4 || host == Protocol.DNS6;
        return hostOk && (size == 2 || components.get(2).protocol() == Protocol.P2P);
    }

    /** Whether the address goes through a circuit relay. */
    public boolean isCircuit() {
        return components.stream().anyMatch(c -> c.protocol() == Protocol.P2P_CIRCUIT);
    }

    /**
     * The socket address to dial for a {@linkplain #isTcp() plain TCP address}. A DNS name is returned unresolved:
     * resolving is the transport's decision, not this value class's.
     *
     * @throws ConfigurationException if this is not a plain TCP address
     */
    public InetSocketAddress toTcpSocketAddress() {
        if (!isTcp()) {
            throw new ConfigurationException("multiaddr " + this
                    + " is not a TCP address (expected /ip4|ip6|dns4|dns6/<host>/tcp/<port>[/p2p/<id>])");
        }
        Protocol host = components.get(0).protocol();
        int port = Integer.parseInt(components.get(1).value());
        if (host == Protocol.IP4 || host == Protocol.IP6) {
            try {
                return new InetSocketAddress(InetAddress.getByAddress(rawValues.get(0)), port);
            } catch (UnknownHostException e) {
                throw new InternalException("a 4 or 16 byte address is always accepted", e);
            }
        }
        return InetSocketAddress.createUnresolved(components.get(0).value(), port);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Multiaddr other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        for (Component component : components) {
            out.append(component);
        }
        return out.toString();
    }

    /** Accumulates validated components and their binary encoding. */
    private static final class Builder {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final List<Component> components = new ArrayList<>();
        private final List<byte[]> rawValues = new ArrayList<>();

        void add(Protocol protocol, byte[] value, String text) {
            out.writeBytes(Varint.encode(protocol.code()));
            if (protocol.valueBits() == Protocol.VARIABLE) {
                out.writeBytes(Varint.encode(value.length));
            }
            out.writeBytes(value);
            components.add(new Component(protocol, text));
            rawValues.add(value);
        }

        void addAll(Multiaddr addr) {
            for (int i = 0; i < addr.components.size(); i++) {
                add(addr.components.get(i).protocol(), addr.rawValues.get(i), addr.components.get(i).value());
            }
        }

        int size() {
            return out.size();
        }

        Multiaddr build() {
            return new Multiaddr(out.toByteArray(), components, rawValues);
        }
    }
}
