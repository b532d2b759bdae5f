package dev.edgelink.cni.internal.codec;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.cni.CniException;
import dev.edgelink.cni.internal.Addresses;
import dev.edgelink.net.IpPrefix;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed reads of JSON fields that fail with a {@link CniException} (code 7) naming the field by its path, e.g.
 * {@code prevResult.ips[0].address}, and saying what is wrong with the value.
 */
final class Fields {
    private Fields() {
    }

    static String path(String parent, String field) {
        return parent.isEmpty() ? field : parent + "." + field;
    }

    static JsonNode object(JsonNode node, String path) {
        if (!node.isObject()) {
            throw CniException.badConfig(path, "must be an object, got " + describe(node));
        }
        return node;
    }

    /** The string at {@code obj.field}, or {@code null} if absent or JSON null when not required. */
    static String string(JsonNode obj, String parent, String field, boolean required) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw CniException.badConfig(path(parent, field), "is missing");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw CniException.badConfig(path(parent, field), "must be a string, got " + describe(v));
        }
        return v.asText();
    }

    static Integer integer(JsonNode obj, String parent, String field, long min, long max) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
            throw CniException.badConfig(path(parent, field), "must be an integer in " + min + ".." + max + ", got "
                    + describe(v));
        }
        return (int) v.asLong();
    }

    static Boolean bool(JsonNode obj, String parent, String field) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isBoolean()) {
            throw CniException.badConfig(path(parent, field), "must be true or false, got " + describe(v));
        }
        return v.asBoolean();
    }

    /** The list of strings at {@code obj.field}; empty if absent. */
    static List<String> strings(JsonNode obj, String parent, String field) {
        JsonNode v = obj.get(field);
        List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (!v.isArray()) {
            throw CniException.badConfig(path(parent, field), "must be a list of strings, got " + describe(v));
        }
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual()) {
                throw CniException.badConfig(path(parent, field) + "[" + i + "]", "must be a string, got "
                        + describe(v.get(i)));
            }
            out.add(v.get(i).asText());
        }
        return out;
    }

    static List<JsonNode> objects(JsonNode obj, String parent, String field) {
        JsonNode v = obj.get(field);
        List<JsonNode> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (!v.isArray()) {
            throw CniException.badConfig(path(parent, field), "must be a list of objects, got " + describe(v));
        }
        for (int i = 0; i < v.size(); i++) {
            out.add(object(v.get(i), path(parent, field) + "[" + i + "]"));
        }
        return out;
    }

    static InetAddress address(JsonNode obj, String parent, String field, boolean required) {
        String text = string(obj, parent, field, required);
        return text == null ? null : address(text, path(parent, field));
    }

    static InetAddress address(String text, String path) {
        try {
            return Addresses.parse(text);
        } catch (IllegalArgumentException e) {
            throw CniException.badConfig(path, "is not an IP address: \"" + text + "\"");
        }
    }

    static IpPrefix prefix(JsonNode obj, String parent, String field, boolean required) {
        String text = string(obj, parent, field, required);
        if (text == null) {
            return null;
        }
        try {
            return Addresses.parsePrefix(text);
        } catch (IllegalArgumentException e) {
            throw CniException.badConfig(path(parent, field), "is not an address in CIDR form (a.b.c.d/n): \""
                    + text + "\"");
        }
    }

    /** A short rendering of a value for messages: its JSON, cut at 60 characters. */
    static String describe(JsonNode v) {
        String text = v.toString();
        return text.length() > 60 ? text.substring(0, 57) + "..." : text;
    }

    static String format(IpPrefix p) {
        return Addresses.format(p);
    }
}
