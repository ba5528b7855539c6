package io.peft4j.estimate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Reads the JSON fixtures under {@code src/test/resources/estimate} and the bundled model configs. */
final class Fixtures {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {}

    static JsonNode json(String resource) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/estimate/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource estimate/" + resource);
            }
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A bundled well-known model (main resources) or a test-only config (test resources). */
    static ModelShapes model(String file) {
        String bundled = "/io/peft4j/estimate/models/" + file;
        try (InputStream in = Fixtures.class.getResourceAsStream(bundled)) {
            if (in != null) {
                return ModelShapes.fromConfig(JSON.readTree(in), file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ModelShapes.fromConfig(json("configs/" + file), file);
    }
}
