package io.peft4j.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** The files written by {@code src/test/python/make_safetensors_fixtures.py} and what torch said about them. */
final class Fixtures {

    static final Path DIR = Path.of("src", "test", "resources", "safetensors");

    private static JsonNode expected;

    private Fixtures() {
    }

    static Path file(String name) {
        return DIR.resolve(name);
    }

    /** The parsed {@code expected.json}. */
    static synchronized JsonNode expected() {
        if (expected == null) {
            try {
                expected = new ObjectMapper().readTree(DIR.resolve("expected.json").toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return expected;
    }
}
