package dev.edgelink.libp2p.host;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Which inbound connections we lead: exact remote ip:port, within the window, until closed. */
class InboundRolesTest {

    private final AtomicLong now = new AtomicLong(1_000);
    private final InboundRoles roles = new InboundRoles(now::get);

    private static InetSocketAddress socket(String ip, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    @Test
    void onlyTheRegisteredIpAndPortLeadAndOnlyWithinTheWindow() throws Exception {
        roles.lead(List.of(socket("192.0.2.7", 4001), socket("2001:db8::7", 4001)), Duration.ofSeconds(2));
        assertTrue(roles.leads(socket("192.0.2.7", 4001)));
        assertTrue(roles.leads(socket("2001:db8::7", 4001)));
        assertTrue(roles.leads(socket("::ffff:192.0.2.7", 4001)), "an IPv4-mapped address is the IPv4 one");
        assertFalse(roles.leads(socket("192.0.2.7", 4002)), "another port is another socket");
        assertFalse(roles.leads(socket("192.0.2.8", 4001)));
        assertFalse(roles.leads(null));
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        assertFalse(roles.leads(socket("192.0.2.7", 4001)), "the window is over");
    }

    @Test
    void aClosedRegistrationEndsAtOnceAndLeavesTheOthers() throws Exception {
        Host.Registration first = roles.lead(List.of(socket("192.0.2.7", 4001)), Duration.ofSeconds(5));
        Host.Registration second = roles.lead(List.of(socket("192.0.2.7", 4001)), Duration.ofSeconds(5));
        first.close();
        assertTrue(roles.leads(socket("192.0.2.7", 4001)), "a second round's registration still holds");
        second.close();
        second.close();
        assertFalse(roles.leads(socket("192.0.2.7", 4001)));
    }

    @Test
    void aRegistrationNeedsAPositiveWindowAndResolvedSocketsWithPorts() throws Exception {
        List<InetSocketAddress> ok = List.of(socket("192.0.2.7", 4001));
        assertThrows(IllegalArgumentException.class, () -> roles.lead(ok, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> roles.lead(List.of(socket("192.0.2.7", 0)),
                Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> roles.lead(
                List.of(InetSocketAddress.createUnresolved("example.org", 4001)), Duration.ofSeconds(1)));
    }
}
