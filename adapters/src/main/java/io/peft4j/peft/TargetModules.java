package io.peft4j.peft;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code target_modules} (and {@code exclude_modules}, {@code layers_to_transform}) of an
 * adapter configuration, with PEFT's matching rules ({@code check_target_module_exists}): a string
 * is a regular expression that must match the whole module name; a list matches a module whose
 * name equals an entry or ends with {@code "." + entry}; {@code "all-linear"} matches every linear
 * layer but the output head. With {@code layers_to_transform} and the list form, only modules in
 * those layer indices (the first number after a dot-separated segment, as PEFT finds it) match.
 *
 * @param regex the regular expression form, when {@code target_modules} is a string
 * @param names the list form, when {@code target_modules} is a list
 * @param excludeRegex {@code exclude_modules} as a regular expression, if it is a string
 * @param excludeNames {@code exclude_modules} as a list (empty when absent)
 * @param layers the layer indices of {@code layers_to_transform} (empty for all layers)
 */
public record TargetModules(Optional<String> regex, List<String> names, Optional<String> excludeRegex,
        List<String> excludeNames, Set<Integer> layers) {

    /** PEFT's shorthand for every linear layer except the output head. */
    public static final String ALL_LINEAR = "all-linear";

    private static final Pattern LAYER_INDEX = Pattern.compile(".*?\\.[^.]*\\.(\\d+)\\.");

    /** Validates and copies the components. */
    public TargetModules {
        Objects.requireNonNull(regex);
        names = List.copyOf(names);
        Objects.requireNonNull(excludeRegex);
        excludeNames = List.copyOf(excludeNames);
        layers = Set.copyOf(layers);
    }

    /** Whether PEFT would put an adapter layer on the module with this name. */
    public boolean matches(String moduleName) {
        if (isExcluded(moduleName)) {
            return false;
        }
        boolean found;
        if (regex.isPresent()) {
            found = regex.get().equals(ALL_LINEAR) || Pattern.compile(regex.get()).matcher(moduleName).matches();
        } else {
            found = names.stream().anyMatch(n -> moduleName.equals(n) || moduleName.endsWith("." + n));
            if (found && !layers.isEmpty()) {
                Matcher m = LAYER_INDEX.matcher(moduleName);
                found = m.lookingAt() && layers.contains(Integer.parseInt(m.group(1)));
            }
        }
        return found;
    }

    private boolean isExcluded(String moduleName) {
        if (excludeRegex.isPresent()) {
            return Pattern.compile(excludeRegex.get()).matcher(moduleName).matches();
        }
        return excludeNames.stream().anyMatch(n -> moduleName.equals(n) || moduleName.endsWith("." + n));
    }

    /** A short human description: the list, or {@code /regex/}. */
    public String describe() {
        return regex.map(r -> r.equals(ALL_LINEAR) ? r : "/" + r + "/").orElseGet(() -> String.join(", ", names));
    }
}
