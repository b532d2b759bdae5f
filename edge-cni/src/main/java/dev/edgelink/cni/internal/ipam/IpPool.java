package dev.edgelink.cni.internal.ipam;

import dev.edgelink.cni.internal.Addresses;
import dev.edgelink.net.IpPrefix;
import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * The addresses a node may give its pods, from its pod CIDR. Never handed out: the network address, the gateway
 * (the first host address; it sits on the host side of every pod's veth) and, for IPv4, the broadcast address.
 * So a {@code /24} has 253 pod addresses, a {@code /30} one; {@code /31} and {@code /32} (IPv6: {@code /127},
 * {@code /128}) have none and are refused.
 */
public final class IpPool {
    private final IpPrefix cidr;
    private final int bytes;
    private final BigInteger network;
    private final BigInteger first;
    private final BigInteger last;

    public IpPool(IpPrefix cidr) {
        this.cidr = Addresses.network(cidr);
        this.bytes = cidr.address().getAddress().length;
        boolean v4 = cidr.address() instanceof Inet4Address;
        int hostBits = bytes * 8 - cidr.length();
        if (hostBits < 2) {
            throw new IllegalArgumentException("pod CIDR " + Addresses.format(cidr) + " has no room for pods "
                    + "(network, gateway" + (v4 ? " and broadcast" : "") + " are reserved); use /30 or larger");
        }
        this.network = Addresses.toNumber(this.cidr.address());
        BigInteger size = BigInteger.ONE.shiftLeft(hostBits);
        this.first = network.add(BigInteger.TWO);
        this.last = network.add(size).subtract(v4 ? BigInteger.TWO : BigInteger.ONE);
    }

    /** The pod CIDR in network form. */
    public IpPrefix cidr() {
        return cidr;
    }

    /** The gateway: the first host address. */
    public InetAddress gateway() {
        return Addresses.fromNumber(network.add(BigInteger.ONE), bytes);
    }

    public InetAddress first() {
        return Addresses.fromNumber(first, bytes);
    }

    public InetAddress last() {
        return Addresses.fromNumber(last, bytes);
    }

    /** How many addresses can be handed out. */
    public BigInteger size() {
        return last.subtract(first).add(BigInteger.ONE);
    }

    public boolean contains(InetAddress address) {
        return Addresses.contains(cidr, address);
    }

    /** Whether the address may be handed out (in the CIDR and not reserved). */
    public boolean isUsable(InetAddress address) {
        if (address.getAddress().length != bytes) {
            return false;
        }
        BigInteger n = Addresses.toNumber(address);
        return n.compareTo(first) >= 0 && n.compareTo(last) <= 0;
    }

    /** Why an address may not be handed out, in words ({@code null} if it may). */
    public String whyNotUsable(InetAddress address) {
        if (isUsable(address)) {
            return null;
        }
        if (!contains(address)) {
            return Addresses.format(address) + " is not in the pod CIDR " + Addresses.format(cidr);
        }
        BigInteger n = Addresses.toNumber(address);
        String what = n.equals(network) ? "the network address" : n.equals(network.add(BigInteger.ONE))
                ? "the gateway" : "the broadcast address";
        return Addresses.format(address) + " is " + what + " of " + Addresses.format(cidr);
    }

    /** The usable address after {@code address}, wrapping from the last to the first. */
    public InetAddress next(InetAddress address) {
        BigInteger n = address == null || !isUsable(address) ? last : Addresses.toNumber(address);
        BigInteger m = n.compareTo(last) >= 0 ? first : n.add(BigInteger.ONE);
        return Addresses.fromNumber(m, bytes);
    }

    /** The prefix a pod address is configured with inside the pod: the whole address (/32 or /128). */
    public IpPrefix podAddress(InetAddress address) {
        return IpPrefix.host(address);
    }
}
