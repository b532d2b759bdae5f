package dev.edgelink.agent.cli;

import dev.edgelink.libp2p.ConfigurationException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Command-line arguments: positionals, {@code --name value} options (repeatable) and {@code --flag} switches.
 * Unknown names are refused, so a typo never silently falls back to a default.
 */
final class Args {

    private final List<String> positionals = new ArrayList<>();
    private final Map<String, List<String>> options = new HashMap<>();
    private final Set<String> switches;

    Args(String[] argv, int from, Set<String> valued, Set<String> switches) {
        this.switches = switches;
        for (int i = from; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--")) {
                positionals.add(a);
                continue;
            }
            String name = a.substring(2);
            if (switches.contains(name)) {
                options.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
            } else if (valued.contains(name)) {
                if (i + 1 >= argv.length) {
                    throw new ConfigurationException("option --" + name + " needs a value");
                }
                options.computeIfAbsent(name, k -> new ArrayList<>()).add(argv[++i]);
            } else {
                throw new ConfigurationException("unknown option --" + name);
            }
        }
    }

    String positional(int index, String what) {
        if (index >= positionals.size()) {
            throw new ConfigurationException("missing argument: " + what);
        }
        return positionals.get(index);
    }

    Optional<String> option(String name) {
        List<String> values = options.get(name);
        return values == null ? Optional.empty() : Optional.of(values.get(values.size() - 1));
    }

    String required(String name) {
        return option(name).orElseThrow(() -> new ConfigurationException("missing option --" + name));
    }

    List<String> all(String name) {
        return options.getOrDefault(name, List.of());
    }

    boolean has(String name) {
        return switches.contains(name) && options.containsKey(name);
    }

    long number(String name, long defaultValue, long min) {
        Optional<String> value = option(name);
        if (value.isEmpty()) {
            return defaultValue;
        }
        long n;
        try {
            n = Long.parseLong(value.get());
        } catch (NumberFormatException e) {
            throw new ConfigurationException("--" + name + " must be a number, got '" + value.get() + "'");
        }
        if (n < min) {
            throw new ConfigurationException("--" + name + " must be at least " + min + ", got " + n);
        }
        return n;
    }
}
