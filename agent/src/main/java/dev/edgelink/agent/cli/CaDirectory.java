package dev.edgelink.agent.cli;

import dev.edgelink.discovery.trust.CaCertificate;
import dev.edgelink.discovery.trust.InvalidCertificateException;
import dev.edgelink.discovery.trust.NodeCertificate;
import dev.edgelink.discovery.trust.RevocationList;
import dev.edgelink.discovery.trust.TrustProblem;
import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The operator's CA directory, kept off the nodes:
 *
 * <pre>
 *  DIR/                  0700
 *    ca.key              0600  the CA's Ed25519 key, libp2p key file format
 *    ca.crt              0644  the self-signed CA certificate (what every node trusts)
 *    issued/&lt;fp&gt;.crt      0644  a copy of every node certificate signed, named by its fingerprint
 *    revocations.crl     0644  the CA's current revocation list, replaced by each revoke
 * </pre>
 *
 * Every file appears whole or not at all (written beside its name, flushed, then renamed or linked into place). The
 * key is refused if group or others may access it, as ssh does with private keys.
 */
final class CaDirectory {

    static final String KEY = "ca.key";
    static final String CERTIFICATE = "ca.crt";
    static final String ISSUED = "issued";
    static final String REVOCATIONS = "revocations.crl";

    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> PUBLIC_FILE_MODE = PosixFilePermissions.fromString("rw-r--r--");
    private static final Set<PosixFilePermission> OPEN_TO_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private final Path dir;

    CaDirectory(Path dir) {
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    Path keyPath() {
        return dir.resolve(KEY);
    }

    Path certificatePath() {
        return dir.resolve(CERTIFICATE);
    }

    Path revocationsPath() {
        return dir.resolve(REVOCATIONS);
    }

    /**
     * Creates the directory (0700 if new) and stores a new CA in it: the certificate first, linked to its name so
     * that of two racing inits only one gets past it, then the key (0600).
     *
     * @throws CaException if the directory already holds a CA (key, certificate or revocation list): a CA is never
     *     replaced, since every node certificate would be orphaned
     */
    void init(PrivKey key, CaCertificate ca) {
        for (Path p : List.of(keyPath(), certificatePath(), revocationsPath())) {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                throw new CaException("a CA already exists in " + dir + " (" + p.getFileName() + " is there); "
                        + "refusing to overwrite it, since every certificate it signed would be orphaned; choose"
                        + " another --dir");
            }
        }
        createPrivateDirectory(dir);
        write(certificatePath(), ca.encoded(), false);
        Keys.store(key, keyPath());
    }

    /**
     * The CA key, after checking that only its owner can access the file.
     *
     * @throws ConfigurationException if there is no CA in the directory
     * @throws CaException if the key file is open to group or others
     */
    PrivKey key() {
        Path path = keyPath();
        if (!Files.exists(path)) {
            throw new ConfigurationException("no CA in " + dir + ": " + KEY + " is missing; create one with"
                    + " 'edgelink ca init --dir " + dir + "'");
        }
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(path);
            if (mode.stream().anyMatch(OPEN_TO_OTHERS::contains)) {
                throw new CaException("CA key file " + path + " is accessible by other users (mode "
                        + PosixFilePermissions.toString(mode) + "); run 'chmod 600 " + path + "' and try again");
            }
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system: nothing to check
        } catch (IOException e) {
            throw new CaException("cannot read the mode of CA key file " + path + ": " + e.getMessage(), e);
        }
        return Keys.loadOrCreate(path);
    }

    /** The CA certificate, its self-signature verified. */
    CaCertificate certificate() {
        if (!Files.exists(certificatePath())) {
            throw new ConfigurationException("no CA in " + dir + ": " + CERTIFICATE + " is missing; create one with"
                    + " 'edgelink ca init --dir " + dir + "'");
        }
        return CaCertificate.decode(read(certificatePath()));
    }

    /** Keeps a copy of {@code c} as {@code issued/<fingerprint>.crt}. */
    void recordIssued(NodeCertificate c) {
        Path issued = dir.resolve(ISSUED);
        createPrivateDirectory(issued);
        write(issued.resolve(c.fingerprint().hex() + ".crt"), c.encoded(), true);
    }

    /** The certificates in {@code issued/}; {@code unreadable} receives the names of files that do not parse. */
    List<NodeCertificate> issued(List<String> unreadable) {
        Path issued = dir.resolve(ISSUED);
        List<NodeCertificate> out = new ArrayList<>();
        if (!Files.isDirectory(issued)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(issued, "*.crt")) {
            for (Path f : files) {
                try {
                    out.add(NodeCertificate.parse(Files.readAllBytes(f)));
                } catch (InvalidCertificateException | IOException e) {
                    unreadable.add(f.getFileName().toString());
                }
            }
        } catch (IOException e) {
            throw new CaException("cannot list " + issued + ": " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * The current revocation list, checked to be this CA's and signed by it; empty if there is none yet.
     *
     * @throws InvalidCertificateException if the file is damaged, of another CA or not signed by this one
     */
    Optional<RevocationList> revocations(CaCertificate ca) {
        if (!Files.exists(revocationsPath())) {
            return Optional.empty();
        }
        RevocationList list = RevocationList.parse(read(revocationsPath()));
        if (!list.signatureValidUnder(ca)) {
            throw new InvalidCertificateException(list.caFingerprint().equals(ca.fingerprint())
                    ? TrustProblem.BAD_SIGNATURE : TrustProblem.MISMATCH, revocationsPath() + " (revocation list "
                    + list.fingerprint() + ", sequence " + list.sequence() + ") is not signed by the CA of " + dir
                    + " (" + ca.fingerprint() + "); restore it from a backup");
        }
        return Optional.of(list);
    }

    void writeRevocations(RevocationList list) {
        write(revocationsPath(), list.encoded(), true);
    }

    /** Reads a file named on the command line. */
    static byte[] read(Path path) {
        try {
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new ConfigurationException("file " + path + " does not exist");
        } catch (IOException e) {
            throw new CaException("cannot read " + path + ": " + e, e);
        }
    }

    /**
     * Writes {@code bytes} to {@code target} with mode 0644, whole or not at all: into a temporary file beside it,
     * flushed, then renamed over it ({@code replace}) or linked to its name (fails if the name exists).
     */
    static void write(Path target, byte[] bytes, boolean replace) {
        Path absolute = target.toAbsolutePath();
        Path tmp = null;
        try {
            tmp = Files.createTempFile(absolute.getParent(), "." + absolute.getFileName(), ".tmp");
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                channel.write(ByteBuffer.wrap(bytes));
                channel.force(true);
            }
            setMode(tmp, PUBLIC_FILE_MODE);
            if (replace) {
                Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE);
            } else {
                Files.createLink(absolute, tmp);
            }
        } catch (FileAlreadyExistsException e) {
            throw new CaException("refusing to overwrite " + target + ", which already exists", e);
        } catch (IOException e) {
            throw new CaException("cannot write " + target + ": " + e + "; check that its directory exists and is"
                    + " writable", e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    private static void createPrivateDirectory(Path dir) {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                setMode(dir, DIR_MODE);
            }
        } catch (IOException e) {
            throw new CaException("cannot create directory " + dir + ": " + e, e);
        }
    }

    private static void setMode(Path path, Set<PosixFilePermission> mode) throws IOException {
        try {
            Files.setPosixFilePermissions(path, mode);
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system: modes do not apply
        }
    }

    private static void deleteQuietly(Path tmp) {
        if (tmp == null) {
            return;
        }
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
            // a leftover ".name.tmp" beside the target is harmless and recognisable
        }
    }
}
