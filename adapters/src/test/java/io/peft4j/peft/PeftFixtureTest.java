package io.peft4j.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.safetensors.SafetensorsFile;
import io.peft4j.safetensors.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Adapters saved by PEFT 0.21 (see {@code src/test/python/make_peft_fixtures.py}): every module's
 * kind, rank, scaling and delta must equal what PEFT itself computes after reloading the adapter,
 * through the Vector API path these tests run with and through the scalar path a JVM without it runs.
 */
class PeftFixtureTest {

    static final Path FIXTURES = Path.of("src/test/resources/peft");

    @ParameterizedTest
    @ValueSource(strings = {"llama-patterns", "llama-rslora", "llama-dora-embedding", "llama-bias-save",
            "llama-layers", "llama-regex", "gpt2-conv1d-seqcls", "conv2d"})
    void modulesScalingAndDeltasMatchPeft(String name) throws IOException {
        Path dir = FIXTURES.resolve(name);
        JsonNode expected = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
        try (LoraAdapter adapter = LoraAdapter.load(dir);
                SafetensorsFile deltas = SafetensorsFile.open(dir.resolve("expected_deltas.safetensors"))) {
            Map<String, LoraModule> modules = new TreeMap<>();
            adapter.modules().forEach(m -> modules.put(m.moduleName(), m));
            assertEquals(iterableNames(expected.get("modules")), modules.keySet().toString(), "module names");
            for (LoraModule m : modules.values()) {
                JsonNode e = expected.get("modules").get(m.moduleName());
                assertEquals(e.get("kind").asText(), m.kind().name(), m.moduleName());
                assertEquals(e.get("rank").asInt(), m.rank(), m.moduleName());
                assertEquals(e.get("scaling").asDouble(), m.scaling(), 0.0, m.moduleName());
                Tensor peftDelta = deltas.tensor(m.moduleName());
                assertArrayEquals(peftDelta.shape(), m.baseWeightShape(), m.moduleName() + " shape");
                assertArrayEquals(peftDelta.toFloatArray(), m.deltaWeight(), m.moduleName() + " delta (bit for bit)");
                assertArrayEquals(peftDelta.toFloatArray(), scalarDelta(m.delta(1.0)), m.moduleName() + " scalar delta");
            }
            assertEquals(expected.get("trainable_parameters").asLong(), adapter.parameterCount(), "trainable parameters");
        }
    }

    /** The delta through the loop a JVM without the Vector API runs (these tests run with it). */
    private static float[] scalarDelta(LoraDelta delta) {
        float[] out = new float[delta.rows() * delta.width()];
        for (int r = 0; r < delta.rows(); r++) {
            delta.scalarRow(r, out, r * delta.width());
        }
        return out;
    }

    private static String iterableNames(JsonNode modules) {
        TreeMap<String, Object> names = new TreeMap<>();
        modules.fieldNames().forEachRemaining(n -> names.put(n, n));
        return names.keySet().toString();
    }
}
