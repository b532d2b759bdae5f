package dev.edgelink.agent.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * One mapping of the config file as it is read: hands out its values by key, remembers which keys were read, and
 * refuses the rest ({@link #only}), so a misspelt key never silently falls back to a default. Every
 * error names the full dotted path of the key.
 */
final class Section {
    private final String path;
    private final JsonNode node;
    private final Set<String> known = new HashSet<>();

    Section(String path, JsonNode node) {
        this.path = path;
        this.node = node;
    }

    /** The dotted path of {@code key} in this section. */
    String key(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** The scalar at {@code key} as text, if present and not null. */
    Optional<String> text(String key) {
        JsonNode v = value(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isValueNode()) {
            throw new ConfigException(key(key), "must be a single value, got a " + kind(v));
        }
        String s = v.asText().trim();
        if (s.isEmpty()) {
            throw new ConfigException(key(key), "must not be empty (leave the key out to get the default)");
        }
        return Optional.of(s);
    }

    /** A boolean at {@code key}. */
    Optional<Boolean> bool(String key) {
        JsonNode v = value(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isBoolean()) {
            throw new ConfigException(key(key), "must be true or false, got '" + v.asText() + "'");
        }
        return Optional.of(v.booleanValue());
    }

    /** An integer at {@code key}. */
    Optional<Integer> integer(String key) {
        JsonNode v = value(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new ConfigException(key(key), "must be a whole number, got '" + v.asText() + "'");
        }
        return Optional.of(v.intValue());
    }

    /** The list of scalars at {@code key} (empty if absent). */
    List<String> texts(String key) {
        List<String> out = new ArrayList<>();
        List<JsonNode> items = list(key);
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            String k = key(key) + "[" + i + "]";
            if (!item.isValueNode() || item.isNull() || item.asText().isBlank()) {
                throw new ConfigException(k, "must be a non-empty single value, got " + describe(item));
            }
            out.add(item.asText().trim());
        }
        return out;
    }

    /** The list at {@code key} (empty if absent or null). */
    List<JsonNode> list(String key) {
        JsonNode v = value(key);
        if (v == null) {
            return List.of();
        }
        if (!v.isArray()) {
            throw new ConfigException(key(key), "must be a list, got a " + kind(v));
        }
        List<JsonNode> out = new ArrayList<>();
        v.forEach(out::add);
        return out;
    }

    /** The mapping at {@code key} as a section (an empty one if absent). */
    Section section(String key) {
        JsonNode v = value(key);
        if (v == null) {
            return new Section(key(key), null);
        }
        if (!v.isObject()) {
            throw new ConfigException(key(key), "must be a mapping of keys to values, got a " + kind(v));
        }
        return new Section(key(key), v);
    }

    /** A mapping that is an element of a list. */
    static Section element(String path, JsonNode item) {
        if (item == null || !item.isObject()) {
            throw new ConfigException(path, "must be a mapping of keys to values, got " + describe(item));
        }
        return new Section(path, item);
    }

    /**
     * Declares the keys this section may have and fails on the first other one (in sorted order), before any value
     * is read: a misspelt key is reported as itself, not as the missing key it was meant to be.
     */
    Section only(String... keys) {
        known.addAll(List.of(keys));
        if (node == null) {
            return this;
        }
        Set<String> unknown = new TreeSet<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!known.contains(name)) {
                unknown.add(name);
            }
        }
        if (!unknown.isEmpty()) {
            throw new ConfigException(key(unknown.iterator().next()), "unknown key (known here: "
                    + String.join(", ", new TreeSet<>(known)) + ")");
        }
        return this;
    }

    private JsonNode value(String key) {
        if (!known.contains(key)) {
            throw new IllegalStateException("bug: key " + key(key) + " read but not declared with only()");
        }
        if (node == null) {
            return null;
        }
        JsonNode v = node.get(key);
        return v == null || v.isNull() ? null : v;
    }

    private static String kind(JsonNode v) {
        if (v.isArray()) {
            return "list";
        }
        return v.isObject() ? "mapping" : "value";
    }

    private static String describe(JsonNode v) {
        if (v == null || v.isNull()) {
            return "nothing";
        }
        return v.isValueNode() ? "'" + v.asText() + "'" : "a " + kind(v);
    }
}
