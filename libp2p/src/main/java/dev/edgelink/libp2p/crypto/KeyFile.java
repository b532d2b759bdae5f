package dev.edgelink.libp2p.crypto;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.ProtocolViolationException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Base64;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's key file: the {@code PrivateKey} protobuf bytes (for Ed25519: 68 bytes, {@code 08 01 12 40} then seed
 * and public key), the format js-libp2p and go-libp2p write, so key files move freely between them and us. A text
 * file holding the same bytes in base64 is read too.
 *
 * <p>Contract: a new file appears whole or not at all (written to a temporary file in the same directory, flushed,
 * then linked or renamed into place), readable by its owner only (0600), in a directory created with 0700 if
 * missing. Two processes creating the same file concurrently end up with the same key: creation never replaces a
 * file, and the loser reads the winner's. A file that exists but cannot be read or decoded is an error that names
 * the path: regenerating it would silently give the node a new identity.
 */
final class KeyFile {

    private static final Logger LOG = LoggerFactory.getLogger(KeyFile.class);
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");

    private KeyFile() {
    }

    static PrivKey loadOrCreate(Path path) {
        PrivKey existing = loadIfPresent(path);
        if (existing != null) {
            return existing;
        }
        PrivKey key = Keys.generateEd25519();
        try {
            write(key, path, false);
        } catch (FileAlreadyExistsException e) {
            // Another process created it between our check and our link: use its key, not ours.
            return loadIfPresent(path);
        }
        LOG.info("created a new node key path={}", path);
        return key;
    }

    static void store(PrivKey key, Path path) {
        try {
            write(key, path, true);
        } catch (FileAlreadyExistsException e) {
            throw new ConfigurationException("cannot write key file " + path + ": " + e.getMessage(), e);
        }
    }

    /** The key in {@code path}, or null if there is no such file (a dangling symlink counts as present). */
    private static PrivKey loadIfPresent(Path path) {
        byte[] content;
        try {
            content = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            if (!Files.isSymbolicLink(path)) {
                return null;
            }
            throw new ConfigurationException("key file " + path + " is a symbolic link to a missing file;"
                    + " fix the link or remove it", e);
        } catch (IOException e) {
            throw new ConfigurationException("cannot read key file " + path + ": " + describe(e)
                    + "; check that the path is a readable file", e);
        }
        warnIfOpenToOthers(path);
        try {
            return Keys.unmarshalPrivateKey(decodeContent(content));
        } catch (ProtocolViolationException e) {
            throw new ConfigurationException("key file " + path + " is not a valid libp2p private key: "
                    + e.getMessage() + "; restore it from a backup, or delete it to create a new identity"
                    + " (the peer id will change)", e);
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    /** Binary protobuf, or the same bytes as base64 text (a protobuf key starts with 0x08, never base64 text). */
    private static byte[] decodeContent(byte[] content) {
        if (content.length == 0) {
            throw new ProtocolViolationException("the file is empty");
        }
        if (!isBase64Text(content)) {
            return content;
        }
        String text = new String(content, StandardCharsets.US_ASCII).strip();
        try {
            return Base64.getMimeDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new ProtocolViolationException("the file looks like base64 text but does not decode: "
                    + e.getMessage(), e);
        }
    }

    private static boolean isBase64Text(byte[] content) {
        for (byte b : content) {
            boolean base64 = (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9')
                    || b == '+' || b == '/' || b == '=' || b == '\n' || b == '\r' || b == ' ' || b == '\t';
            if (!base64) {
                return false;
            }
        }
        return true;
    }

    private static void write(PrivKey key, Path path, boolean replace) throws FileAlreadyExistsException {
        Path target = path.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = null;
        byte[] bytes = key.marshal();
        try {
            boolean posix = Files.getFileStore(existingAncestor(dir)).supportsFileAttributeView("posix");
            Files.createDirectories(dir, posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(DIR_MODE)}
                    : new FileAttribute<?>[0]);
            tmp = posix ? Files.createTempFile(dir, "." + target.getFileName(), ".tmp",
                    PosixFilePermissions.asFileAttribute(FILE_MODE))
                    : Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                channel.write(ByteBuffer.wrap(bytes));
                channel.force(true);
            }
            publish(tmp, target, replace);
            syncDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (IOException e) {
            throw new ConfigurationException("cannot write key file " + path + ": " + describe(e)
                    + "; check that its directory is writable", e);
        } finally {
            Arrays.fill(bytes, (byte) 0);
            deleteQuietly(tmp);
        }
    }

    /** Makes the finished temporary file visible under its real name in one step. */
    private static void publish(Path tmp, Path target, boolean replace) throws IOException {
        if (replace) {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        try {
            // A hard link fails if the name exists, unlike rename, which would replace it.
            Files.createLink(target, tmp);
        } catch (UnsupportedOperationException e) {
            Files.move(tmp, target);
        }
    }

    private static Path existingAncestor(Path dir) {
        Path p = dir;
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        return p == null ? dir.getRoot() : p;
    }

    private static void syncDirectory(Path dir) {
        // Makes the new name durable; not every file system allows opening a directory, and that is harmless.
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException ignored) {
            // best effort: the data itself was already forced
        }
    }

    private static void deleteQuietly(Path tmp) {
        if (tmp == null) {
            return;
        }
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
            // a leftover ".name.tmp" file is harmless and is named so that it is recognisable
        }
    }

    private static void warnIfOpenToOthers(Path path) {
        KeyFiles.openMode(path).ifPresent(mode -> LOG.warn("key file is accessible to other users; run chmod 600 on"
                + " it path={} mode={}", path, KeyFiles.octal(mode)));
    }

    private static String describe(IOException e) {
        String kind = e.getClass().getSimpleName().replace("Exception", "");
        return e.getMessage() == null ? kind : kind + " (" + e.getMessage() + ")";
    }
}
