package io.peft4j.peft;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * PEFT's rule for {@code rank_pattern} and {@code alpha_pattern}: a key applies to a module when
 * {@code re.match(rf"(.*\.)?({key})$", module_name)} matches, and the first matching key in the
 * dictionary's order wins ({@code peft.utils.other.get_pattern_key}).
 */
final class PatternKeys {

    private static final Map<String, Pattern> CACHE = new ConcurrentHashMap<>();

    private PatternKeys() {}

    /** The value of the first key of {@code patterns} (in iteration order) matching {@code moduleName}. */
    static <V> Optional<V> firstMatch(Map<String, V> patterns, String moduleName) {
        for (Map.Entry<String, V> e : patterns.entrySet()) {
            if (matches(e.getKey(), moduleName)) {
                return Optional.of(e.getValue());
            }
        }
        return Optional.empty();
    }

    /** Whether one pattern key matches the module name with PEFT's semantics. */
    static boolean matches(String key, String moduleName) {
        return compile(key).matcher(moduleName).matches();
    }

    private static Pattern compile(String key) {
        return CACHE.computeIfAbsent(key, k -> {
            try {
                // Python's re.match anchors at the start and "$" at the end, so a full match here.
                return Pattern.compile("(?:.*\\.)?(?:" + k + ")");
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("pattern key '" + k + "' is not a valid regular expression", e);
            }
        });
    }
}
