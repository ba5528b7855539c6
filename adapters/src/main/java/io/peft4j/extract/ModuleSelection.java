package io.peft4j.extract;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which linear modules to extract, by PEFT's rules for {@code target_modules}: {@code all-linear}
 * (every linear layer but the output head), a list of names (a module matches when its full name
 * equals one or ends with {@code "." + name}), or a regular expression matching the whole name.
 */
public sealed interface ModuleSelection {

    /** Whether the module with this full name is selected. */
    boolean matches(String moduleName);

    /** The selection as a user wrote it. */
    String describe();

    /** Every linear layer but the output head (the default). */
    static ModuleSelection allLinear() {
        return new AllLinear();
    }

    /** Module names matched as suffixes. */
    static ModuleSelection names(List<String> names) {
        if (names.isEmpty()) {
            throw new ExtractException("--targets: the list of module names is empty");
        }
        return new Names(List.copyOf(names));
    }

    /** A regular expression matched against the whole module name. */
    static ModuleSelection regex(String regex) {
        try {
            return new Regex(Pattern.compile(regex));
        } catch (PatternSyntaxException e) {
            throw new ExtractException("--targets: invalid regular expression '" + regex + "': " + e.getDescription(), e);
        }
    }

    /**
     * Parses a command-line value: {@code all-linear}; comma-separated names of letters, digits,
     * {@code _} and {@code .} (e.g. {@code q_proj,v_proj}); anything else is a regular expression.
     */
    static ModuleSelection parse(String value) {
        String v = value.strip();
        if (v.toLowerCase(Locale.ROOT).equals("all-linear")) {
            return allLinear();
        }
        if (v.matches("[\\w.]+(\\s*,\\s*[\\w.]+)*")) {
            return names(List.of(v.split("\\s*,\\s*")));
        }
        return regex(v);
    }

    /** {@code all-linear}. */
    record AllLinear() implements ModuleSelection {
        @Override
        public boolean matches(String moduleName) {
            return true;
        }

        @Override
        public String describe() {
            return "all-linear";
        }
    }

    /** Names matched like PEFT: equal, or a suffix after a dot. */
    record Names(List<String> names) implements ModuleSelection {
        @Override
        public boolean matches(String moduleName) {
            return names.stream().anyMatch(n -> moduleName.equals(n) || moduleName.endsWith("." + n));
        }

        @Override
        public String describe() {
            return String.join(",", names);
        }
    }

    /** A regular expression over the whole name. */
    record Regex(Pattern pattern) implements ModuleSelection {
        @Override
        public boolean matches(String moduleName) {
            return pattern.matcher(moduleName).matches();
        }

        @Override
        public String describe() {
            return pattern.pattern();
        }
    }
}
