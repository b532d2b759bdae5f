package dev.edgelink.libp2p.noise;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a test class with its transport cipher states on the JDK cipher, and puts the selector property back
 * afterwards. A subclass that repeats the tests on OpenSSL forces {@code openssl} in its own {@code @BeforeAll},
 * which JUnit runs after this callback.
 */
final class JdkCipherByDefault implements BeforeAllCallback, AfterAllCallback {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(JdkCipherByDefault.class);
    private static final String PREVIOUS = "previousCipher";

    @Override
    public void beforeAll(ExtensionContext context) {
        String previous = NoiseTestSupport.forceCipher("jdk");
        if (previous != null) {
            context.getStore(NAMESPACE).put(PREVIOUS, previous);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        NoiseTestSupport.restoreCipher(context.getStore(NAMESPACE).get(PREVIOUS, String.class));
    }
}
