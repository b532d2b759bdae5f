package dev.edgelink.relay.reachability;

import dev.edgelink.relay.autonat.NatStatus;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Classifies from AutoNAT's status and the observed addresses of outbound connections. Pure.
 *
 * <p>The mapping evidence groups outbound observations by our local socket (ip:port). Within a group, two
 * observers at different remote ip:ports that saw the same external ip:port show an endpoint-independent mapping
 * (hole punching works: plain nft masquerade); two that saw different external ports show a mapping per
 * destination (symmetric: {@code masquerade random/fully-random}). Dials from the listen port put all of them in
 * one group, which is why dials should reuse it. Without such a pair, a NAT that kept our source port for at least
 * {@code minPreserved} observers of different sockets counts as port-preserving (masquerade keeps the port when
 * it is free), and one that gave that many observers of different sockets a new port each, and kept none, counts
 * as symmetric; a single disagreeing pair anywhere makes the verdict symmetric.
 */
public final class ReachabilityClassifier {

    private final int minPreserved;

    public ReachabilityClassifier(int minPreserved) {
        if (minPreserved < 2) {
            throw new IllegalArgumentException("minPreserved must be at least 2 (two different observers)");
        }
        this.minPreserved = minPreserved;
    }

    public Reachability classify(NatStatus autonat, Collection<Observation> observations) {
        if (autonat == NatStatus.PUBLIC) {
            return Reachability.PUBLIC;
        }
        Map<InetSocketAddress, List<Observation>> bySocket = new HashMap<>();
        List<Observation> translated = new ArrayList<>();
        for (Observation o : observations) {
            if (!o.outbound()) {
                continue;
            }
            bySocket.computeIfAbsent(o.local(), k -> new ArrayList<>()).add(o);
            if (!o.observed().getAddress().equals(o.local().getAddress())) {
                translated.add(o);
            }
        }
        boolean consistent = false;
        for (List<Observation> group : bySocket.values()) {
            Verdict v = judge(group);
            if (v == Verdict.SYMMETRIC) {
                return Reachability.NAT_SYMMETRIC;
            }
            consistent |= v == Verdict.CONSISTENT;
        }
        if (consistent) {
            return Reachability.NAT_PORT_PRESERVING;
        }
        Set<String> preservedBy = new HashSet<>();
        Set<String> changedBy = new HashSet<>();
        for (Observation o : translated) {
            (o.observed().getPort() == o.local().getPort() ? preservedBy : changedBy).add(o.observer());
        }
        if (preservedBy.size() >= minPreserved) {
            return Reachability.NAT_PORT_PRESERVING;
        }
        // A NAT that keeps ports when it can (plain masquerade) changes one only on a clash; one that gave
        // minPreserved observers of as many sockets a new port each maps per connection: symmetric.
        return changedBy.size() >= minPreserved && preservedBy.isEmpty() ? Reachability.NAT_SYMMETRIC
                : Reachability.UNKNOWN;
    }

    private enum Verdict { SYMMETRIC, CONSISTENT, TOO_FEW }

    /** One local socket seen by several observers: one external ip:port for all, or one per destination. */
    private static Verdict judge(List<Observation> group) {
        Map<InetSocketAddress, InetSocketAddress> byDestination = new HashMap<>();
        for (Observation o : group) {
            byDestination.put(o.remote(), o.observed());
        }
        if (byDestination.size() < 2) {
            return Verdict.TOO_FEW;
        }
        return new HashSet<>(byDestination.values()).size() == 1 ? Verdict.CONSISTENT : Verdict.SYMMETRIC;
    }
}
