package dev.edgelink.dataplane.path.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.StaticPeer;
import dev.edgelink.dataplane.path.ProbeResult;
import dev.edgelink.net.IpPrefix;
import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Prober and responder over loopback only (no namespace, no root). */
class UdpProbeLoopbackTest {
    private static final InetAddress LOOPBACK = IpPrefix.literal("127.0.0.1");

    private static StaticPeer peerAt(InetAddress tunnelAddress) {
        return StaticPeer.of("peer", new IpPrefix(tunnelAddress, 32), tunnelAddress, null);
    }

    @Test
    void anEchoComesBackWithItsRoundTripTime() {
        try (UdpEchoResponder responder = UdpEchoResponder.start(LOOPBACK, 0);
             UdpPathProber prober = UdpPathProber.open(responder.localAddress().getPort(), Duration.ofSeconds(2))) {
            ProbeResult r = prober.probe(peerAt(LOOPBACK), PathKind.VXLAN).join();
            assertTrue(r.ok(), r.detail());
            assertTrue(r.rttNanos() > 0);
            assertEquals(1, responder.answered());
        }
    }

    @Test
    void noResponderMeansAFailedProbeAfterTheTimeout() {
        int port;
        try (UdpEchoResponder gone = UdpEchoResponder.start(LOOPBACK, 0)) {
            port = gone.localAddress().getPort();
        }
        try (UdpPathProber prober = UdpPathProber.open(port, Duration.ofMillis(100))) {
            ProbeResult r = prober.probe(peerAt(LOOPBACK), PathKind.VXLAN).join();
            assertFalse(r.ok());
            assertEquals("no echo from 127.0.0.1:" + port + " within 100 ms", r.detail());
        }
    }
}
