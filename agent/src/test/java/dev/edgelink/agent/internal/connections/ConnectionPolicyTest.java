package dev.edgelink.agent.internal.connections;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.agent.internal.connections.ConnectionPolicy.Action;
import dev.edgelink.agent.internal.connections.ConnectionPolicy.Close;
import dev.edgelink.agent.internal.connections.ConnectionPolicy.Dial;
import dev.edgelink.agent.internal.connections.ConnectionPolicy.Facts;
import dev.edgelink.agent.internal.connections.ConnectionPolicy.Kind;
import dev.edgelink.agent.internal.connections.ConnectionPolicy.Punch;
import dev.edgelink.agent.internal.connections.ConnectionPolicy.Reason;
import dev.edgelink.agent.internal.connections.ConnectionPolicy.State;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.peer.PeerId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The connection policy as a state machine: facts in, actions out, with injected time and randomness. */
class ConnectionPolicyTest {
    private static final long S = 1_000_000_000L;

    private final ConnectionPolicy policy = new ConnectionPolicy(ConnectionPolicy.Settings.DEFAULT, new Random(7));

    private static PeerId peer() {
        return PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
    }

    /** A member nobody has a reason for yet: reachable directly, no connection, kernel path, no traffic. */
    private static Facts member(PeerId p) {
        return new Facts(p, false, false, true, true, false, false, false, false, false, false, false, false, false);
    }

    private static Facts relay(PeerId p, boolean connected) {
        return new Facts(p, true, false, false, true, false, connected, connected, false, false, false, false, false,
                false);
    }

    /** A member behind another NAT on a userspace path with traffic: circuits only. */
    private static Facts natted(PeerId p, boolean direct, boolean relayed, boolean relayedOurs, boolean active) {
        return new Facts(p, false, false, true, false, true, direct, false, relayed, relayedOurs, true, false, active,
                false);
    }

    private List<Action> decide(long now, Facts... facts) {
        return policy.decide(now, List.of(facts), true);
    }

    @Test
    void aRelayIsDialedAndRedialedAtOnceAfterALossButNotMoreOftenThanTheGap() {
        PeerId r = peer();
        assertEquals(List.of(new Dial(r, Kind.DIRECT)), decide(0, relay(r, false)));
        assertEquals(List.of(), decide(S, relay(r, false)), "a dial is in flight");
        policy.dialed(r, Kind.DIRECT);
        assertEquals(List.of(), decide(2 * S, relay(r, true)));
        assertEquals(Set.of(Reason.RELAY), policy.view(r).orElseThrow().reasons());
        assertEquals(State.DIRECT, policy.view(r).orElseThrow().state());
        // lost 3 s after the first dial: dialed again at once
        assertEquals(List.of(new Dial(r, Kind.DIRECT)), decide(3 * S, relay(r, false)));
        policy.dialed(r, Kind.DIRECT);
        // lost again right away: not before the gap since the last dial
        assertEquals(List.of(), decide(4 * S, relay(r, false)));
        assertEquals(List.of(new Dial(r, Kind.DIRECT)), decide(5 * S, relay(r, false)));
    }

    @Test
    void failedDialsBackOffDoublingToTheMaximum() {
        PeerId r = peer();
        long now = 0;
        List<Long> waits = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            List<Action> a = decide(now, relay(r, false));
            assertEquals(List.of(new Dial(r, Kind.DIRECT)), a, "dial " + i + " at " + now);
            Duration wait = policy.dialFailed(r, Kind.DIRECT, now);
            waits.add(wait.toSeconds());
            assertEquals(List.of(), decide(now + wait.toNanos() - 1, relay(r, false)), "not before the backoff");
            now += wait.toNanos();
        }
        assertEquals(List.of(1L, 2L, 4L, 4L, 4L, 4L, 4L, 4L, 4L), waits, "a relay is tried again within 4 s");
    }

    @Test
    void aMemberThatDoesNotAnswerIsTriedLessAndLessOften() {
        PeerId p = peer();
        Facts f = new Facts(p, false, false, true, true, false, false, false, false, false, true, true, true, false);
        long now = 0;
        List<Long> waits = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            assertEquals(List.of(new Dial(p, Kind.DIRECT)), decide(now, f), "dial " + i);
            Duration wait = policy.dialFailed(p, Kind.DIRECT, now);
            waits.add(wait.toSeconds());
            now += wait.toNanos();
        }
        assertEquals(List.of(1L, 2L, 4L, 8L, 16L, 32L, 60L, 60L), waits);
    }

    @Test
    void aFewGossipPartnersAreChosenAndOneIsReplacedPerRotation() {
        List<Facts> members = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            members.add(member(peer()));
        }
        List<Action> first = policy.decide(0, members, true);
        Set<PeerId> partners = policy.partners();
        assertEquals(4, partners.size());
        assertEquals(4, first.size(), "only the partners are dialed: " + first);
        first.forEach(a -> assertTrue(a instanceof Dial d && partners.contains(d.peer()) && d.kind() == Kind.DIRECT));
        policy.decide(30 * S, members, true);
        assertEquals(partners, policy.partners(), "no rotation before the rotation time");
        policy.decide(61 * S, members, true);
        Set<PeerId> after = policy.partners();
        assertEquals(4, after.size());
        Set<PeerId> kept = new HashSet<>(after);
        kept.retainAll(partners);
        assertEquals(3, kept.size(), "one partner replaced: " + partners + " -> " + after);
    }

    @Test
    void aPeerOnAKernelPathWithTrafficNeedsNoConnection() {
        PeerId p = peer();
        Facts kernelWithTraffic = new Facts(p, false, false, true, false, false, false, false, false, false, false,
                false, true, false);
        assertEquals(List.of(), decide(0, kernelWithTraffic));
        assertEquals(State.NONE, policy.view(p).orElseThrow().state());
        assertTrue(policy.view(p).orElseThrow().reasons().isEmpty());
    }

    @Test
    void trafficToAPeerBehindAnotherNatGetsARelayedConnectionThenOnePunch() {
        PeerId p = peer();
        assertEquals(List.of(new Dial(p, Kind.RELAYED)), decide(0, natted(p, false, false, false, true)));
        policy.dialed(p, Kind.RELAYED);
        assertEquals(Set.of(Reason.TRAFFIC), policy.view(p).orElseThrow().reasons());
        // we dialed the relayed connection: the peer, who accepted it, punches
        assertEquals(List.of(), decide(S, natted(p, false, true, true, true)));
        // a relayed connection the peer opened: we punch, once until the punch ends
        assertEquals(List.of(new Punch(p)), decide(2 * S, natted(p, false, true, false, true)));
        assertEquals(List.of(), decide(3 * S, natted(p, false, true, false, true)));
        policy.punched(p, "relayed: hole punch failed");
        assertEquals(List.of(new Punch(p)), decide(4 * S, natted(p, false, true, false, true)));
        assertEquals("relayed: hole punch failed", policy.view(p).orElseThrow().why());
    }

    @Test
    void theRelayedConnectionClosesOnceADirectOneCarriesTheTunnel() {
        PeerId p = peer();
        Facts both = natted(p, true, true, true, true);
        assertEquals(List.of(new Close(p, Kind.RELAYED, "a direct connection carries the tunnel")), decide(0, both));
        Facts onRelayed = new Facts(p, false, false, true, false, true, true, false, true, true, true, false, true,
                true);
        assertEquals(List.of(), decide(S, onRelayed), "the tunnel still rides the relayed connection");
    }

    @Test
    void aDirectPathFallingToRelayedGetsARelayedConnectionAtOnceNextToTheDirectOne() {
        PeerId p = peer();
        Facts falling = new Facts(p, false, false, true, false, true, true, false, false, false, true, true, true,
                true);
        assertEquals(List.of(new Dial(p, Kind.RELAYED)), decide(0, falling));
        assertTrue(policy.view(p).orElseThrow().reasons().contains(Reason.PATH));
    }

    @Test
    void aDirectDialThatFailsFallsBackToTheRelays() {
        PeerId p = peer();
        Facts f = new Facts(p, false, false, true, true, true, false, false, false, false, true, false, true, false);
        assertEquals(List.of(new Dial(p, Kind.DIRECT)), decide(0, f));
        policy.dialFailed(p, Kind.DIRECT, 0);
        assertEquals(List.of(new Dial(p, Kind.RELAYED)), decide(S / 2, f));
    }

    @Test
    void aConnectionWeOpenedGoesAfterItsLastReasonAndTheGraceTimeOneThePeerOpenedStays() {
        PeerId ours = peer();
        PeerId theirs = peer();
        Facts oursIdle = natted(ours, false, true, true, false);
        Facts theirsIdle = natted(theirs, false, true, false, false);
        assertEquals(List.of(), decide(0, oursIdle, theirsIdle));
        assertEquals(State.IDLE, policy.view(ours).orElseThrow().state());
        assertEquals(List.of(), decide(9 * S, oursIdle, theirsIdle), "within the grace time");
        assertEquals(List.of(new Close(ours, Kind.RELAYED, "no reason left")), decide(10 * S, oursIdle, theirsIdle));
        // traffic again before the grace ends keeps it
        PeerId back = peer();
        decide(20 * S, natted(back, false, true, true, false));
        assertEquals(List.of(), decide(25 * S, natted(back, false, true, true, true)));
        assertEquals(List.of(), decide(34 * S, natted(back, false, true, true, false)));
    }

    @Test
    void peersThatLeftAreForgotten() {
        PeerId p = peer();
        decide(0, member(p));
        assertTrue(policy.view(p).isPresent());
        decide(S);
        assertTrue(policy.view(p).isEmpty());
        assertTrue(policy.partners().isEmpty());
    }
}
