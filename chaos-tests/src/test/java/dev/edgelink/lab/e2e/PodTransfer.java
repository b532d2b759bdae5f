package dev.edgelink.lab.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgelink.lab.ExecResult;
import dev.edgelink.lab.Lab;
import dev.edgelink.lab.LabException;
import dev.edgelink.lab.Pod;
import dev.edgelink.lab.Wait;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/** Bulk TCP between two pods with busybox only: {@code nc} to move the bytes, {@code md5sum} at both ends. */
final class PodTransfer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger PORTS = new AtomicInteger(5001);

    private PodTransfer() {
    }

    /**
     * Sends {@code mib} MiB of random bytes (made once per sending pod, /tmp/tx-MIB) from {@code from} to
     * {@code to} over TCP; returns {sent md5, received md5}.
     */
    static String[] send(Lab lab, Pod from, Pod to, int mib) {
        int port = PORTS.getAndIncrement();
        String rx = "/tmp/rx-" + port + ".md5";
        ExecResult listen = lab.podman().podman(to.node(), Duration.ofSeconds(20), "exec", "-d", to.name(), "sh",
                // busybox nc closes the connection when its stdin ends: the listener's stdin is a sleep
                "-c", "sleep 300 | nc -l -p " + port + " | md5sum > " + rx);
        listen.check();
        Wait.until(to.name() + " listens on " + port, Duration.ofSeconds(10),
                () -> to.exec("sh", "-c", "netstat -ltn | grep -q ':" + port + " '").ok());
        String tx = "/tmp/tx-" + mib;
        String sent = from.exec(Duration.ofSeconds(60), "sh", "-c", "[ -f " + tx + " ] || dd if=/dev/urandom of="
                + tx + " bs=1M count=" + mib + " 2>/dev/null; md5sum " + tx).check().stdout().split("\\s+")[0];
        from.exec(Duration.ofSeconds(120), "sh", "-c", "nc " + to.ip() + " " + port + " < " + tx).check();
        String got = Wait.forValue(to.name() + " has the md5 of what it received", Duration.ofSeconds(30), () -> {
            ExecResult r = to.exec("cat", rx);
            String sum = r.stdout().strip().split("\\s+")[0];
            return r.ok() && sum.matches("[0-9a-f]{32}") ? sum : null;
        });
        to.exec("rm", "-f", rx);
        return new String[] {sent, got};
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new LabException("not JSON: " + text, e);
        }
    }

    /** File names in {@code dir}, sorted. */
    static Set<String> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            Set<String> out = new TreeSet<>();
            s.forEach(p -> out.add(p.getFileName().toString()));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
