package dev.edgelink.agent.cli;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgelink.agent.config.ConfigException;
import dev.edgelink.agent.internal.FatalThreadHandler;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentCommandTest {
    @TempDir
    Path dir;

    @Test
    void theFatalThreadHandlerIsInstalledBeforeTheConfigIsEvenRead() {
        Thread.UncaughtExceptionHandler before = Thread.getDefaultUncaughtExceptionHandler();
        try {
            JsonOut out = new JsonOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            AgentCommand command = new AgentCommand(out, code -> { });
            assertThrows(ConfigException.class, () -> command.run(new String[] {"agent", "--config",
                dir.resolve("missing.yaml").toString()}));
            assertInstanceOf(FatalThreadHandler.class, Thread.getDefaultUncaughtExceptionHandler());
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(before);
        }
    }
}
