package dev.edgelink.lab.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The demo's verdict: which pairs make {@code scripts/demo.sh} fail, and how it says so. */
class DemoVerdictTest {
    @Test
    void everyPairAnsweringIsSuccess() {
        assertNull(Demo.failures(List.of(new Demo.Row("n1", "n2 (10.244.2.0)", "hostgw", 0.1, true),
                new Demo.Row("n2", "n1 (10.244.1.0)", "hostgw", 0.1, true))));
    }

    @Test
    void aPairThatDidNotAnswerIsNamedWithItsPath() {
        String v = Demo.failures(List.of(new Demo.Row("n1", "n2 (10.244.2.0)", "hostgw", 0.1, true),
                new Demo.Row("n1/p1a", "n3/p3 (10.244.3.2)", "vxlan", -1, false)));
        assertEquals("1 of 2 pairs did not answer: n1/p1a -> n3/p3 (10.244.3.2) (path vxlan)", v);
    }

    @Test
    void anEmptyMatrixIsAFailure() {
        assertEquals("no pair was pinged", Demo.failures(List.of()));
    }
}
