package io.peft4j.tuning;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which modules get adapters, as PEFT's {@code target_modules} says it: PEFT's default for the
 * architecture, {@code "all-linear"} (every linear layer but the output head), a regular expression
 * matched against whole module names, or module names matched as suffixes ({@code key == name} or
 * {@code key.endsWith("." + name)}). Serializes to the value PEFT takes: null, {@code "all-linear"},
 * the regex string, or the list of names.
 */
public sealed interface Targets {

    /** The value of PEFT's {@code target_modules}: null, {@code "all-linear"}, the regex, or the names. */
    @JsonValue
    Object peftValue();

    /** A short description, e.g. {@code all-linear}, {@code [q_proj, v_proj]} or {@code '.*proj'}. */
    String describe();

    /** PEFT's default target modules for the model's architecture. */
    static Targets peftDefault() {
        return new PeftDefault();
    }

    /** Every linear layer except the output head. */
    static Targets allLinear() {
        return new AllLinear();
    }

    /** Modules whose names end with one of {@code names}, e.g. {@code q_proj}, {@code v_proj}. */
    static Targets names(String... names) {
        return names(List.of(names));
    }

    /** Modules whose names end with one of {@code names}. */
    static Targets names(List<String> names) {
        return new Names(names);
    }

    /** Modules whose full name matches {@code regex} entirely. */
    static Targets regex(String regex) {
        return new Regex(regex);
    }

    /**
     * Parses the command-line form: {@code all-linear}, a comma-separated list of names, or a regex
     * (anything with characters other than letters, digits, {@code _}, {@code -}, {@code .}, spaces and commas).
     *
     * @throws SettingException for an empty list or an invalid regex
     */
    static Targets parse(String text) {
        String trimmed = text.strip();
        if (trimmed.equalsIgnoreCase("all-linear")) {
            return allLinear();
        }
        if (trimmed.matches("[A-Za-z0-9_.,\\- ]*")) {
            return names(Arrays.stream(trimmed.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList());
        }
        return regex(trimmed);
    }

    /** PEFT's default for the architecture ({@code target_modules=None}). */
    record PeftDefault() implements Targets {
        @Override
        public Object peftValue() {
            return null;
        }

        @Override
        public String describe() {
            return "PEFT's default";
        }
    }

    /** PEFT's {@code "all-linear"}. */
    record AllLinear() implements Targets {
        /** The string PEFT takes. */
        public static final String VALUE = "all-linear";

        @Override
        public Object peftValue() {
            return VALUE;
        }

        @Override
        public String describe() {
            return VALUE;
        }
    }

    /**
     * A regular expression PEFT full-matches against module names.
     *
     * @param pattern the expression
     */
    record Regex(String pattern) implements Targets {
        /** Checks the expression compiles. */
        public Regex {
            try {
                Pattern.compile(pattern);
            } catch (PatternSyntaxException e) {
                throw new SettingException("targets: invalid regex '" + pattern + "': " + e.getDescription());
            }
        }

        /** Whether {@code moduleName} matches entirely, as {@code re.fullmatch}. */
        public boolean matches(String moduleName) {
            return Pattern.compile(pattern).matcher(moduleName).matches();
        }

        @Override
        public Object peftValue() {
            return pattern;
        }

        @Override
        public String describe() {
            return "'" + pattern + "'";
        }
    }

    /**
     * Module names matched as suffixes.
     *
     * @param names e.g. {@code q_proj}, {@code v_proj}
     */
    record Names(List<String> names) implements Targets {
        /** Copies the names; refuses an empty list or a blank name. */
        public Names {
            names = List.copyOf(names);
            if (names.isEmpty()) {
                throw new SettingException("targets: no module names");
            }
            if (names.stream().anyMatch(String::isBlank)) {
                throw new SettingException("targets: blank module name");
            }
        }

        /** Whether {@code moduleName} is one of the names or ends with {@code "." + name}. */
        public boolean matches(String moduleName) {
            return names.stream().anyMatch(t -> moduleName.equals(t) || moduleName.endsWith("." + t));
        }

        @Override
        public Object peftValue() {
            return names;
        }

        @Override
        public String describe() {
            return names.toString();
        }
    }
}
