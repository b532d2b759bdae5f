package dev.edgelink.agent.config;

import dev.edgelink.libp2p.ConfigurationException;

/**
 * The agent's configuration is wrong: {@link #key()} names the setting (a dotted path such as
 * {@code timeouts.probeInterval} or {@code staticPeers[0].podCidr}), the message says what is wrong with it and what
 * would be right. The command line exits 2 on it.
 */
public final class ConfigException extends ConfigurationException {
    private final String key;

    public ConfigException(String key, String problem) {
        super("config key '" + key + "': " + problem);
        this.key = key;
    }

    public ConfigException(String key, String problem, Throwable cause) {
        super("config key '" + key + "': " + problem, cause);
        this.key = key;
    }

    /** The dotted path of the setting that is wrong. */
    public String key() {
        return key;
    }
}
