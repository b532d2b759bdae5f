package dev.edgelink.agent.internal.metrics;

import io.netty.util.internal.PlatformDependent;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;

/**
 * The JVM's direct memory: what its direct buffers hold now and the limit ({@code -XX:MaxDirectMemorySize}). Our
 * Netty allocates direct buffers through the JDK (with a cleaner), so the JDK's "direct" buffer pool counts them;
 * the pooled allocator's chunks count whole while any part of them is in use.
 */
public final class DirectMemory {
    private static final BufferPoolMXBean DIRECT = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)
            .stream().filter(b -> b.getName().equals("direct")).findFirst().orElse(null);

    private DirectMemory() {
    }

    /** Bytes of direct buffers now, or -1 where the JVM does not say. */
    public static long used() {
        return DIRECT == null ? -1 : DIRECT.getMemoryUsed();
    }

    /** The limit in bytes. */
    public static long limit() {
        return PlatformDependent.maxDirectMemory();
    }
}
