package io.peft4j.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The environment variables huggingface_hub reads, read the same way: {@code HF_ENDPOINT},
 * {@code HF_TOKEN} (else the file {@code HF_TOKEN_PATH}, else {@code $HF_HOME/token}),
 * {@code HF_HUB_CACHE} (else {@code $HF_HOME/hub}), {@code HF_HOME} (else
 * {@code $XDG_CACHE_HOME/huggingface}, else {@code ~/.cache/huggingface}), {@code HF_HUB_OFFLINE} and
 * {@code HF_HUB_DOWNLOAD_TIMEOUT} (seconds without data before a read fails, default 10).
 */
final class HubSettings {

    static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    /** huggingface_hub's {@code DEFAULT_DOWNLOAD_TIMEOUT} and {@code DEFAULT_REQUEST_TIMEOUT}. */
    static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(10);
    private static final Set<String> TRUE = Set.of("1", "ON", "YES", "TRUE");

    private final Map<String, String> env;

    HubSettings(Map<String, String> env) {
        this.env = env;
    }

    String endpoint() {
        String e = nonBlank("HF_ENDPOINT");
        return e == null ? DEFAULT_ENDPOINT : e.replaceAll("/+$", "");
    }

    Path home() {
        String home = nonBlank("HF_HOME");
        if (home != null) {
            return expand(home);
        }
        String xdg = nonBlank("XDG_CACHE_HOME");
        return (xdg != null ? expand(xdg) : Path.of(System.getProperty("user.home"), ".cache")).resolve("huggingface");
    }

    Path cacheDir() {
        String cache = nonBlank("HF_HUB_CACHE");
        if (cache == null) {
            cache = nonBlank("HUGGINGFACE_HUB_CACHE");
        }
        return cache != null ? expand(cache) : home().resolve("hub");
    }

    boolean offline() {
        String v = nonBlank("HF_HUB_OFFLINE");
        return v != null && TRUE.contains(v.toUpperCase(Locale.ROOT));
    }

    /** How long a read may wait for data: {@code HF_HUB_DOWNLOAD_TIMEOUT} seconds, else 10 s. */
    Duration downloadTimeout() {
        String v = nonBlank("HF_HUB_DOWNLOAD_TIMEOUT");
        if (v == null) {
            return DEFAULT_READ_TIMEOUT;
        }
        try {
            long seconds = Long.parseLong(v.strip());
            if (seconds > 0 && seconds <= 86_400) {
                return Duration.ofSeconds(seconds);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new HubException("HF_HUB_DOWNLOAD_TIMEOUT must be a number of seconds from 1 to 86400, got '" + v.strip() + "'");
    }

    /** The token, or null when none is configured. Never logged. */
    String token() {
        String token = nonBlank("HF_TOKEN");
        if (token != null) {
            return token.strip();
        }
        String path = nonBlank("HF_TOKEN_PATH");
        Path file = path != null ? expand(path) : home().resolve("token");
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            String saved = Files.readString(file, StandardCharsets.UTF_8).strip();
            return saved.isEmpty() ? null : saved;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the Hub token file " + file, e);
        }
    }

    private String nonBlank(String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v;
    }

    private static Path expand(String path) {
        return path.startsWith("~/") ? Path.of(System.getProperty("user.home"), path.substring(2)) : Path.of(path);
    }
}
