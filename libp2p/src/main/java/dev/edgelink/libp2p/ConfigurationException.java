package dev.edgelink.libp2p;

/** Our own configuration or input is wrong (bad key file, bad multiaddr, bad PSK). The message says what to fix. */
public class ConfigurationException extends Libp2pException {
    private static final long serialVersionUID = 1L;

    public ConfigurationException(String message) {
        super(message);
    }

    public ConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
