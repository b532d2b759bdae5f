package dev.edgelink.lab;

import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 glue: a test method (or {@code @BeforeEach}) that declares a {@link Lab} parameter gets a fresh lab,
 * which is torn down when the test ends, whether it passed or failed; a teardown that leaves something behind
 * fails the test. After each test class, every lab of this JVM is checked again, so the suite ends with an
 * assertion that {@code ip netns list} (and the rest of the inventory) shows nothing of ours.
 *
 * <pre>{@code
 * @ExtendWith(LabExtension.class)
 * class MyLabTest {
 *     @Test
 *     void twoNodesPing(Lab lab) { ... }
 * }
 * }</pre>
 */
public final class LabExtension implements ParameterResolver, AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(LabExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == Lab.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        ExtensionContext.Store store = extensionContext.getStore(NS);
        Closer closer = store.getOrComputeIfAbsent("lab", k -> new Closer(Lab.open()), Closer.class);
        return closer.lab;
    }

    @Override
    public void afterAll(ExtensionContext context) {
        List<String> left = LabRegistry.leftoversOfAll();
        if (!left.isEmpty()) {
            throw new LabException("labs of this run left behind: " + left);
        }
    }

    /** Closes the lab when JUnit closes the test's store (after the test and its @AfterEach, pass or fail). */
    private static final class Closer implements ExtensionContext.Store.CloseableResource {
        private final Lab lab;

        Closer(Lab lab) {
            this.lab = lab;
        }

        @Override
        public void close() {
            lab.close();
        }
    }
}
