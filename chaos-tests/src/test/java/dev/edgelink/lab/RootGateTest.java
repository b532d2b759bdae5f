package dev.edgelink.lab;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** The root gate's decision, runnable as any user. */
class RootGateTest {
    @Test
    void rootPasses() {
        assertDoesNotThrow(() -> RootGate.check(0, false));
    }

    @Test
    void nonRootFailsRatherThanSkips() {
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> RootGate.check(1000, false));
        assertTrue(e.getMessage().contains("edgelink.allowSkipLab"), e.getMessage());
    }

    @Test
    void nonRootSkipsOnlyWhenAllowed() {
        assertThrows(TestAbortedException.class, () -> RootGate.check(1000, true));
    }

    @Test
    void effectiveUidIsReadFromProc() {
        assertTrue(RootGate.effectiveUid() >= 0);
    }
}
