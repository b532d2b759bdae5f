package dev.edgelink.agent.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class OpenFilesTest {

    @Test
    void aLimitBelowWhatTheConnectionLimitsNeedIsNamedWithTheKeysToChange() {
        long needed = OpenFiles.needed(3072, 128);
        assertEquals(3072 + 128 + OpenFiles.RESERVE, needed);
        assertEquals(Optional.empty(), OpenFiles.warning(needed, 3072, 128), "exactly enough");
        String w = OpenFiles.warning(needed - 1, 3072, 128).orElseThrow();
        assertTrue(w.contains("open-file limit is " + (needed - 1)) && w.contains("libp2p.maxConnections=3072")
                && w.contains("LimitNOFILE"), w);
    }

    @Test
    void thisJvmsLimitIsRead() {
        assertTrue(OpenFiles.limit().orElseThrow() > 0);
    }
}
