package dev.edgelink.cni.lab;

import dev.edgelink.labsupport.NetnsLab;

/** The CNI's namespace lab (see {@link NetnsLab}): namespaces named {@code elc-<random>-<suffix>}. */
public final class CniLab extends NetnsLab {
    private CniLab() {
        super("elc", DEFAULT_COMMAND_TIMEOUT);
    }

    /** Checks for root (see {@link NetnsLab}) and starts an empty lab. */
    public static CniLab open() {
        requireRoot("CNI lab tests need root (network namespaces, veth)");
        return new CniLab();
    }
}
