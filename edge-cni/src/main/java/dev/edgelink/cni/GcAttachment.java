package dev.edgelink.cni;

import java.util.Objects;

/** One still-valid attachment in a GC request ({@code cni.dev/valid-attachments}). */
public record GcAttachment(String containerId, String ifname) {
    public GcAttachment {
        Objects.requireNonNull(containerId, "containerId");
        Objects.requireNonNull(ifname, "ifname");
    }
}
