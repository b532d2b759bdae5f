package dev.edgelink.dataplane.kernel;

import dev.edgelink.dataplane.netlink.Link;
import dev.edgelink.dataplane.netlink.LinkSpec;
import dev.edgelink.dataplane.netlink.Netlink;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;

/**
 * The idempotent create-or-keep-or-replace of one device, shared by the device classes: a device that exists and
 * is compatible is kept; one that is not is deleted (WARN naming every difference) and created anew; then it is
 * brought to the wanted MTU and up. A second call with the same spec only reads.
 */
final class LinkEnsurer {
    private LinkEnsurer() {
    }

    /**
     * @param differences what differs between an existing link and the spec, in words (empty = compatible)
     * @param mtu the wanted MTU, or 0 to keep the kernel's
     */
    static Link ensure(Netlink netlink, LinkSpec spec, Function<Link, List<String>> differences, int mtu,
                       Logger log) {
        Optional<Link> existing = netlink.findLink(spec.name());
        Link link;
        if (existing.isPresent() && differences.apply(existing.get()).isEmpty()) {
            link = existing.get();
        } else {
            if (existing.isPresent()) {
                log.warn("{} exists with incompatible settings ({}); deleting and recreating it (backend={})",
                        spec.name(), String.join(", ", differences.apply(existing.get())), spec.kind());
                netlink.deleteLink(existing.get().index());
            }
            link = netlink.createLink(spec);
            log.info("created {} (backend={})", spec.name(), spec.kind());
        }
        boolean changed = false;
        if (mtu > 0 && link.mtu() != mtu) {
            netlink.setMtu(link.index(), mtu);
            changed = true;
        }
        if (!link.up()) {
            netlink.setUp(link.index(), true);
            changed = true;
        }
        return changed ? netlink.getLink(spec.name()) : link;
    }

    /** Adds "{@code what} is {@code have}, want {@code want}" when they differ. */
    static void compare(List<String> out, String what, Object have, Object want) {
        if (!java.util.Objects.equals(have, want)) {
            out.add(what + " is " + show(have) + ", want " + show(want));
        }
    }

    private static String show(Object v) {
        if (v == null) {
            return "none";
        }
        return v instanceof java.net.InetAddress ? ((java.net.InetAddress) v).getHostAddress() : v.toString();
    }
}
