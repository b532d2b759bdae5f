package dev.edgelink.libp2p.host;

import dev.edgelink.libp2p.multiaddr.Multiaddr;
import java.util.concurrent.CompletableFuture;

/**
 * Dials {@code /p2p-circuit} addresses for a {@link Host}: the relay transport (circuit relay v2 lives in the
 * relay module and plugs in here with {@link Host#setCircuitDialer}). It reaches the target through the relay and
 * hands the relayed stream to {@link Host#upgradeRelayed}, whose future it returns.
 */
@FunctionalInterface
public interface CircuitDialer {

    /**
     * Connects to {@code address}, {@code .../p2p/RELAY/p2p-circuit/p2p/TARGET}. Fails with a typed
     * {@code Libp2pException}: the relay refused, the relay is unreachable, the target did not answer.
     */
    CompletableFuture<Connection> dial(Host host, Multiaddr address);
}
