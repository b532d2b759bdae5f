package dev.edgelink.lab.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The nft wrapper on the agent's PATH, and how its log is read into data plane rounds. */
class NftCallLogTest {
    private static final String READ = "-j list table ip edgelink_peers";

    @Test
    void theWrapperLogsTheCallAndBecomesTheRealProgramWithItsArgumentsStdinAndExitCode(@TempDir Path dir)
            throws Exception {
        Path real = dir.resolve("real");
        Files.writeString(real, "#!/bin/sh\necho \"pid $$ args $*\"\ncat\nexit 3\n");
        Files.setPosixFilePermissions(real, PosixFilePermissions.fromString("rwx------"));
        Path log = dir.resolve("calls.log");
        Path wrapper = dir.resolve("nft");
        Files.writeString(wrapper, NftCallLog.wrapper(log, real));
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwx------"));

        double before = System.currentTimeMillis() / 1000.0;
        Process p = new ProcessBuilder(wrapper.toString(), "-j", "list", "table", "ip", "edgelink_peers").start();
        try (OutputStream in = p.getOutputStream()) {
            in.write("from stdin\n".getBytes(StandardCharsets.UTF_8));
        }
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertEquals(3, p.exitValue());
        assertEquals("pid " + p.pid() + " args " + READ + "\nfrom stdin\n", out);
        List<NftCallLog.Call> calls = NftCallLog.parse(Files.readString(log));
        assertEquals(1, calls.size());
        assertEquals(READ, calls.get(0).args());
        assertTrue(calls.get(0).read());
        assertTrue(calls.get(0).epochSeconds() >= before - 1 && calls.get(0).epochSeconds() <= before + 10);
    }

    @Test
    void aRoundEndsWithOneReadAndAReapplyIsPartOfItsRound() {
        List<NftCallLog.Call> calls = List.of(call(1.0, "-f -"), call(2.0, READ), call(2.1, READ),
                call(2.2, "-f -"), call(2.5, READ), call(2.9, READ), call(3.2, READ));
        assertEquals(List.of(2.0, 2.9, 3.2), NftCallLog.roundEnds(calls));
    }

    @Test
    void aReadThatFailedIsStillTheEndOfItsRound() {
        List<NftCallLog.Call> calls = List.of(call(1.0, READ), call(11.3, READ), call(21.7, READ), call(22.0,
                "list ruleset"));
        assertEquals(List.of(1.0, 11.3, 21.7), NftCallLog.roundEnds(calls));
    }

    @Test
    void aTornLineIsSkipped() {
        List<NftCallLog.Call> calls = NftCallLog.parse("1765143000.123456 " + READ + "\n17651430\n"
                + "x " + READ + "\n1765143000.5 -f -\n");
        assertEquals(2, calls.size());
        assertEquals(1765143000.123456, calls.get(0).epochSeconds(), 1e-6);
        assertTrue(calls.get(1).apply());
    }

    private static NftCallLog.Call call(double t, String args) {
        return new NftCallLog.Call(t, args);
    }
}
