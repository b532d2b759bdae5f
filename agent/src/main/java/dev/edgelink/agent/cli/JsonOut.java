package dev.edgelink.agent.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.time.Instant;

/** One JSON object per line on stdout, each with {@code event} and {@code ts}; safe from any thread. */
final class JsonOut {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final PrintStream out;

    JsonOut(PrintStream out) {
        this.out = out;
    }

    ObjectNode event(String name) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("event", name);
        node.put("ts", Instant.now().toString());
        return node;
    }

    /** A bare object without event/ts (for commands whose output is a single value, like {@code id}). */
    ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** A line of text as it is (human output, or JSON fetched from the agent). */
    synchronized void text(String line) {
        out.println(line);
        out.flush();
    }

    synchronized void print(ObjectNode node) {
        out.println(node.toString());
        out.flush();
    }
}
