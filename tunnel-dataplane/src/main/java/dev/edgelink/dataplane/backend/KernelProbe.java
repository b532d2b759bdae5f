package dev.edgelink.dataplane.backend;

import dev.edgelink.dataplane.netlink.KernelFeatureMissingException;
import dev.edgelink.dataplane.netlink.LinkSpec;
import dev.edgelink.dataplane.netlink.NetlinkException;
import dev.edgelink.dataplane.netlink.Netlink;
import org.slf4j.Logger;

/**
 * Finds out whether the kernel can make a device type the only reliable way: by making a scratch device of that
 * type and deleting it at once (module lists and /proc lie inside containers and namespaces).
 */
public final class KernelProbe {
    private KernelProbe() {
    }

    /**
     * Creates {@code scratch} and deletes it.
     *
     * @param feature the feature's name in the verdict ("ipip")
     * @return yes, or no with "FEATURE unavailable on this kernel (ERRNO)" (logged once here at INFO)
     */
    public static Verdict canCreate(Netlink netlink, LinkSpec scratch, String feature, Logger log) {
        try {
            netlink.findLink(scratch.name()).ifPresent(l -> netlink.deleteLink(l.index()));
            int index = netlink.createLink(scratch).index();
            netlink.deleteLink(index);
            return Verdict.yes(feature + " available on this kernel");
        } catch (KernelFeatureMissingException e) {
            String why = feature + " unavailable on this kernel (" + NetlinkException.errnoName(e.errno()) + ")";
            log.info("{}; peers will use the next path down (backend={})", why, feature);
            return Verdict.no(why);
        } catch (NetlinkException e) {
            String why = feature + " unavailable: " + e.getMessage();
            log.warn("{} (backend={})", why, feature);
            return Verdict.no(why);
        }
    }
}
