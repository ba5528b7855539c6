package io.peft4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Validation in Java, before any Python runs, and the JSON handed to peft4j_bridge.train. */
class TrainConfigTest {

    @TempDir
    Path dir;
    Path model;
    Path data;

    @BeforeEach
    void files() throws IOException {
        model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{}");
        data = Files.writeString(dir.resolve("d.jsonl"), "{\"text\": \"x\"}\n");
    }

    private TrainConfig.Builder valid() {
        return TrainConfig.builder().baseModel(model).data(data).outputDir(dir.resolve("out"));
    }

    private static String rejected(TrainConfig.Builder builder) {
        return assertThrows(TrainConfigException.class, builder::build).getMessage();
    }

    @Test
    void badSettingsAreNamedInOneLine() {
        assertEquals("rank must be > 0, got 0", rejected(valid().rank(0)));
        assertEquals(dir.resolve("nope.jsonl") + ": data file not found", rejected(valid().data(dir.resolve("nope.jsonl"))));
        assertEquals(dir + ": not a model directory (no config.json)", rejected(valid().baseModel(dir)));
        assertEquals("dropout must be in [0, 1), got 1.0", rejected(valid().dropout(1)));
        assertEquals("learning rate must be > 0, got 0.0", rejected(valid().learningRate(0)));
        assertEquals("training data is required (a JSONL file or records)", rejected(valid().records(List.of())));
        assertTrue(rejected(valid().scheduler("wobbly", 0)).startsWith("unknown scheduler 'wobbly'; known: constant,"));
        assertTrue(rejected(valid().resumeFrom(dir)).endsWith("not a training checkpoint (no trainer_state.json)"));
        assertEquals("unknown method 'lokr'; known: lora, qlora, dora, rslora, adalora, ia3, prompt_tuning",
                assertThrows(TrainConfigException.class, () -> TrainMethod.parse("lokr")).getMessage());
        assertTrue(assertThrows(TrainConfigException.class, () -> TrainConfig.Targets.regex("(q_proj")).getMessage()
                .startsWith("targets: invalid regex '(q_proj'"));
    }

    @Test
    void targetsParseTheCliForms() {
        assertEquals("all-linear", TrainConfig.Targets.parse("all-linear").peftValue());
        assertEquals(List.of("q_proj", "v_proj"), TrainConfig.Targets.parse("q_proj, v_proj").peftValue());
        assertEquals(".*\\.(q|v)_proj", TrainConfig.Targets.parse(".*\\.(q|v)_proj").peftValue());
        assertEquals(null, TrainConfig.Targets.defaults().peftValue());
    }

    record Pair(String prompt, String completion) {}

    @Test
    void configGoesToPythonAsJsonWithRecordsAsObjects() throws IOException {
        TrainConfig config = valid().records(List.of(new Pair("p", "c"))).method("dora").maxSteps(5).build();
        JsonNode json = new ObjectMapper().readTree(PythonTraining.configJson(config));
        assertEquals("dora", json.get("method").asText());
        assertEquals(5, json.get("max_steps").asInt());
        assertTrue(json.get("data").isNull());
        assertEquals("c", json.get("records").get(0).get("completion").asText());
        assertEquals(model.toAbsolutePath().toString(), json.get("base_model").asText());
        assertEquals(config, config.toBuilder().build());
    }
}
