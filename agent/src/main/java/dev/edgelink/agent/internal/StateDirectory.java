package dev.edgelink.agent.internal;

import dev.edgelink.agent.config.AgentConfig;
import dev.edgelink.agent.config.ConfigException;
import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.crypto.KeyFiles;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.net.MacAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's state directory: what must survive restarts. The node key (created on first start, mode 0600, never
 * replaced: it is the node's identity), the VTEP MAC chosen on first start (so a recreated VXLAN device keeps the
 * MAC that peers' neighbour and FDB entries point at), and the IPAM store's directory.
 */
public final class StateDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(StateDirectory.class);

    private final AgentConfig config;

    private StateDirectory(AgentConfig config) {
        this.config = config;
    }

    /** Creates the directory (0700) if needed. */
    public static StateDirectory open(AgentConfig config) {
        Path dir = config.stateDir();
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                LOG.info("state directory created (dir={})", dir);
            }
            Files.createDirectories(config.ipamDir());
        } catch (IOException e) {
            throw new ConfigException("stateDir", "cannot create " + dir + ": " + e.getMessage(), e);
        }
        return new StateDirectory(config);
    }

    /**
     * The node key, created on first start (0600).
     *
     * @throws ConfigException (key {@code stateDir}) when other users may read or change the key file, as ssh
     *     refuses such a private key; or when it cannot be read or is not a key
     */
    public PrivKey nodeKey() {
        boolean existed = Files.exists(config.keyFile());
        PrivKey key;
        try {
            KeyFiles.requirePrivate(config.keyFile());
            key = Keys.loadOrCreate(config.keyFile());
        } catch (ConfigurationException e) {
            throw new ConfigException("stateDir", e.getMessage(), e);
        }
        if (!existed) {
            LOG.info("node key created (file={})", config.keyFile());
        }
        return key;
    }

    /** The VTEP MAC: read, or chosen at random (locally administered, unicast) and kept. */
    public MacAddress vtepMac() {
        Path file = config.vtepMacFile();
        try {
            if (Files.exists(file)) {
                return MacAddress.parse(Files.readString(file, StandardCharsets.UTF_8).trim());
            }
            byte[] b = new byte[MacAddress.LENGTH];
            new SecureRandom().nextBytes(b);
            b[0] = (byte) ((b[0] & 0xfc) | 0x02);
            MacAddress mac = MacAddress.fromBytes(b);
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, mac + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            LOG.info("VTEP MAC chosen (mac={}, file={})", mac, file);
            return mac;
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("stateDir", "cannot read or write " + file + ": " + e.getMessage()
                    + " (delete the file to choose a new VTEP MAC)", e);
        }
    }
}
