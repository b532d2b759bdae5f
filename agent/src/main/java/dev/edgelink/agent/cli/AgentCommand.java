package dev.edgelink.agent.cli;

import dev.edgelink.agent.Agent;
import dev.edgelink.agent.config.AgentConfig;
import dev.edgelink.agent.config.ConfigLoader;
import dev.edgelink.agent.internal.FatalThreadHandler;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * {@code edgelink agent --config FILE}: runs the node daemon until SIGTERM or SIGINT, then stops it cleanly (the
 * leave is announced, sockets are closed, kernel state is kept). A config error exits 2 naming the key; a failure to
 * start exits 1; a thread that dies of an unexpected error ends the process at once with exit code
 * {@value FatalThreadHandler#EXIT_CODE} ({@link FatalThreadHandler}), for the supervisor to restart it.
 */
final class AgentCommand {
    private static final Set<String> VALUED = Set.of("config");

    private final JsonOut out;
    private final IntConsumer halt;

    AgentCommand(JsonOut out) {
        this(out, Runtime.getRuntime()::halt);
    }

    /** @param halt how a dead thread ends the process (the JVM's halt; a recorder in tests) */
    AgentCommand(JsonOut out, IntConsumer halt) {
        this.out = out;
        this.halt = halt;
    }

    int run(String[] argv) throws InterruptedException {
        // before anything starts a thread: from here on no thread of the agent dies alone
        FatalThreadHandler.install(halt);
        Args args = new Args(argv, 1, VALUED, Set.of());
        AgentConfig config = ConfigLoader.forThisHost().load(Path.of(args.required("config")));
        Agent agent = Agent.start(config);
        Thread hook = new Thread(agent::close, "edgelink-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        out.print(out.event("started").put("node", config.nodeName()).put("podCidr", config.podCidr().toString())
                .put("status", config.statusAddress().getAddress().getHostAddress() + ":"
                        + config.statusAddress().getPort()));
        agent.awaitStopped();
        return 0;
    }
}
