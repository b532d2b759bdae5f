package dev.edgelink.cni;

import java.util.Locale;
import java.util.Optional;

/** The value of CNI_COMMAND. */
public enum CniCommand {
    ADD, DEL, CHECK, STATUS, GC, VERSION;

    /** From the exact upper-case text the spec uses. */
    public static Optional<CniCommand> parse(String text) {
        if (text == null || !text.equals(text.toUpperCase(Locale.ROOT))) {
            return Optional.empty();
        }
        for (CniCommand c : values()) {
            if (c.name().equals(text)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /** Commands about one attachment (container id + ifname): ADD, DEL and CHECK. */
    public boolean isAttachment() {
        return this == ADD || this == DEL || this == CHECK;
    }
}
