package dev.edgelink.cni.server;

import dev.edgelink.cni.CniServer;
import dev.edgelink.libp2p.threads.TaskGuard;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What the server tests talk to: a {@link CniServer} on {@code cni.sock} in a test directory, with a
 * {@link FakeCniService} behind it (4 KiB requests, 500 ms read timeout), its failures counted in {@link #tasks}.
 * Closing releases a service the test left blocked, then stops the server.
 */
final class FakeAgent implements AutoCloseable {
    final Path socket;
    final FakeCniService service;
    final CniServer server;
    final TaskGuard tasks;

    private FakeAgent(Path socket, FakeCniService service, CniServer server, TaskGuard tasks) {
        this.socket = socket;
        this.service = service;
        this.server = server;
        this.tasks = tasks;
    }

    /** @param concurrent how many requests the server serves at once */
    static FakeAgent start(Path dir, int concurrent) throws IOException {
        Path socket = dir.resolve("cni.sock");
        FakeCniService service = new FakeCniService();
        TaskGuard tasks = new TaskGuard();
        CniServer server = new CniServer(service, socket, new CniServer.Limits(4096, Duration.ofMillis(500),
                concurrent), tasks).start();
        return new FakeAgent(socket, service, server, tasks);
    }

    @Override
    public void close() {
        if (service.block != null) {
            service.block.countDown();
        }
        server.close();
    }
}
