package io.peft4j.bridge;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where the Python environment comes from, read from environment variables.
 *
 * @param python {@code PEFT4J_PYTHON}: an existing interpreter or venv directory to use as is, or null
 *     for the managed environment
 * @param home {@code PEFT4J_HOME}: peft4j's cache directory (managed environments, the extracted
 *     bridge package); default {@code $XDG_CACHE_HOME/peft4j} else {@code ~/.cache/peft4j}
 * @param basePython {@code PEFT4J_BASE_PYTHON}: the Python 3.10+ that creates the managed venv, or
 *     null to search {@code PATH}
 */
record EnvironmentSettings(Path python, Path home, Path basePython) {

    /** Reads the settings from this process's environment variables. */
    public static EnvironmentSettings fromEnvironment() {
        return from(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /** Reads the settings from the given variables; {@code userHome} gives the default cache. */
    static EnvironmentSettings from(Map<String, String> env, Path userHome) {
        Path home;
        if (present(env, "PEFT4J_HOME")) {
            home = Path.of(env.get("PEFT4J_HOME"));
        } else if (present(env, "XDG_CACHE_HOME")) {
            home = Path.of(env.get("XDG_CACHE_HOME"), "peft4j");
        } else {
            home = userHome.resolve(".cache").resolve("peft4j");
        }
        return new EnvironmentSettings(
                present(env, "PEFT4J_PYTHON") ? Path.of(env.get("PEFT4J_PYTHON")) : null,
                home.toAbsolutePath(),
                present(env, "PEFT4J_BASE_PYTHON") ? Path.of(env.get("PEFT4J_BASE_PYTHON")) : null);
    }

    private static boolean present(Map<String, String> env, String name) {
        String value = env.get(name);
        return value != null && !value.isBlank();
    }
}
