package dev.edgelink.agent.cli;

import dev.edgelink.agent.Agent;
import dev.edgelink.agent.config.AgentConfig;
import dev.edgelink.agent.config.ConfigLoader;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code edgelink agent --config FILE}: runs the node daemon until SIGTERM or SIGINT, then stops it cleanly (the
 * leave is announced, sockets are closed, kernel state is kept). A config error exits 2 naming the key; a failure to
 * start exits 1.
 */
final class AgentCommand {
    private static final Set<String> VALUED = Set.of("config");

    private final JsonOut out;

    AgentCommand(JsonOut out) {
        this.out = out;
    }

    int run(String[] argv) throws InterruptedException {
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
