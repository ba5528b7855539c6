package io.peft4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.data.DatasetFormat;
import io.peft4j.data.DatasetFormatException;
import io.peft4j.output.OutputExistsException;
import io.peft4j.tuning.SettingException;
import io.peft4j.tuning.Targets;
import io.peft4j.tuning.TrainMethod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Validation in Java, before any Python runs: the settings, the data's format against the method,
 * the output directory's overwrite policy, and the request handed to {@code peft4j_bridge.train}.
 */
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
        assertTrue(rejected(valid().method(TrainMethod.FULL)).startsWith("method full trains every weight"));
        assertEquals("dpo base must be lora, qlora, dora or rslora, got ia3",
                rejected(valid().method(TrainMethod.DPO).dpo(TrainMethod.IA3, 0.1)));
        assertEquals("unknown method 'lokr'; known: full, lora, qlora, dora, rslora, adalora, ia3, prompt_tuning, dpo",
                assertThrows(SettingException.class, () -> TrainMethod.parse("lokr")).getMessage());
        assertTrue(assertThrows(SettingException.class, () -> Targets.regex("(q_proj")).getMessage()
                .startsWith("targets: invalid regex '(q_proj'"));
    }

    @Test
    void targetsParseTheCliForms() {
        assertEquals("all-linear", Targets.parse("all-linear").peftValue());
        assertEquals(List.of("q_proj", "v_proj"), Targets.parse("q_proj, v_proj").peftValue());
        assertEquals(".*\\.(q|v)_proj", Targets.parse(".*\\.(q|v)_proj").peftValue());
        assertEquals(null, Targets.peftDefault().peftValue());
    }

    @Test
    void theBuilderStartsFromTheOneSetOfDefaults() {
        TrainConfig built = valid().build();
        TrainConfig.Defaults d = TrainConfig.DEFAULTS;
        assertEquals(List.of(d.method(), d.rank(), d.alpha(), d.dropout(), d.targets(), d.learningRate(), d.batchSize(),
                        d.maxLength(), d.seed(), d.scheduler(), d.device(), d.dpoBase(), d.dpoBeta()),
                List.of(built.method(), built.rank(), built.alpha(), built.dropout(), built.targets(), built.learningRate(),
                        built.batchSize(), built.maxLength(), built.seed(), built.scheduler(), built.device(),
                        built.dpoBase(), built.dpoBeta()));
        assertEquals("adamw_torch", built.optimizer(), "the method's optimizer, resolved in Java");
        assertEquals("paged_adamw_8bit", valid().method(TrainMethod.QLORA).build().optimizer());
        assertEquals("paged_adamw_8bit", valid().method(TrainMethod.DPO).dpo(TrainMethod.QLORA, 0.1).build().optimizer());
        TrainConfig qlora = valid().method(TrainMethod.QLORA).build();
        assertEquals("adamw_torch", qlora.toBuilder().method(TrainMethod.LORA).build().optimizer(),
                "a default optimizer follows the method when a variant changes it");
        assertEquals("sgd", valid().optimizer("sgd").build().toBuilder().method(TrainMethod.QLORA).build().optimizer());
    }

    record Pair(String prompt, String completion) {}

    @Test
    void theRequestCarriesEveryKeyAndRecordsAsACheckedFile() throws IOException {
        TrainConfig config = valid().records(List.of(new Pair("p", "c"))).method("dora").maxSteps(5).build();
        TrainRequest request = TrainingPreflight.request(config);
        try {
            JsonNode json = new ObjectMapper().readTree(Contract.write(request));
            assertEquals("dora", json.get("config").get("method").asText());
            assertEquals(5, json.get("config").get("max_steps").asInt());
            assertEquals("adamw_torch", json.get("config").get("optimizer").asText());
            assertTrue(json.get("config").get("targets").isNull(), "PEFT's default");
            assertTrue(json.get("config").get("resume_from").isNull());
            assertFalse(json.get("config").has("records"), "records cross as a data file");
            assertFalse(json.get("config").has("overwrite"), "handled in Java");
            assertEquals(model.toAbsolutePath().toString(), json.get("config").get("base_model").asText());
            assertEquals("prompt_completion", json.get("data").get("format").asText());
            assertEquals("{\"prompt\":\"p\",\"completion\":\"c\"}", Files.readString(request.data().path()).strip());
            assertTrue(json.get("eval_data").isNull());
        } finally {
            TrainingPreflight.cleanUp(request);
        }
        assertFalse(Files.exists(request.data().path()), "the records file is removed after the run");
        assertEquals(config, config.toBuilder().build());
    }

    @Test
    void badRecordsAreNamedByTheirIndex() {
        TrainConfig config = valid().records(List.of(new Pair("p", "c"), Map.of("prompt", "only"))).build();
        assertEquals("records item 2: missing field \"completion\" (PROMPT_COMPLETION needs [prompt, completion])",
                assertThrows(TrainConfigException.class, () -> TrainingPreflight.request(config)).getMessage());
    }

    @Test
    void theDataFormatMustSuitTheMethod() throws IOException {
        Path preferences = Files.writeString(dir.resolve("pref.jsonl"), "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n");
        assertEquals(data + ": dpo needs {\"prompt\",\"chosen\",\"rejected\"} records, found text records",
                assertThrows(TrainConfigException.class, () -> TrainingPreflight.request(valid().method(TrainMethod.DPO).build()))
                        .getMessage());
        assertEquals(preferences + ": preference records ({\"prompt\",\"chosen\",\"rejected\"}) train with method dpo only, not lora",
                assertThrows(TrainConfigException.class, () -> TrainingPreflight.request(valid().data(preferences).build()))
                        .getMessage());
        TrainRequest dpo = TrainingPreflight.request(valid().data(preferences).method(TrainMethod.DPO).build());
        assertEquals(DatasetFormat.PREFERENCE, dpo.data().format());
        Path broken = Files.writeString(dir.resolve("broken.jsonl"), "{\"text\": \"x\"}\n{\"text\": 3}\n");
        assertThrows(DatasetFormatException.class, () -> TrainingPreflight.request(valid().evalData(broken).build()));
    }

    @Test
    void aNonEmptyOutputDirectoryIsRefusedUnlessOverwriteOrResumingInIt() throws IOException {
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.writeString(out.resolve("adapter_config.json"), "{}");
        Files.createDirectories(out.resolve("checkpoints").resolve("checkpoint-2"));
        Files.writeString(out.resolve("checkpoints").resolve("checkpoint-2").resolve("trainer_state.json"), "{}");
        Files.writeString(out.resolve("notes.txt"), "mine");

        assertEquals(out + ": output folder exists and is not empty (--overwrite, or overwrite(true) in the API, replaces it)",
                assertThrows(OutputExistsException.class, () -> TrainingPreflight.request(valid().build())).getMessage());
        assertTrue(Files.exists(out.resolve("adapter_config.json")), "refusing leaves everything in place");

        Path checkpoint = out.resolve("checkpoints").resolve("checkpoint-2");
        TrainingPreflight.request(valid().resumeFrom(checkpoint).build());
        assertTrue(Files.exists(checkpoint), "resuming one of its own checkpoints continues the run");
        assertTrue(assertThrows(TrainConfigException.class, () -> TrainingPreflight.request(valid().resumeFrom(checkpoint)
                .overwrite(true).build())).getMessage().startsWith("overwrite would delete the checkpoint"));
        Files.copy(data, out.resolve("inside.jsonl"));
        assertThrows(OutputExistsException.class, () -> TrainingPreflight.request(valid().data(out.resolve("inside.jsonl"))
                .overwrite(true).build()), "never emptied when it holds an input");

        TrainingPreflight.request(valid().overwrite(true).build());
        try (var left = Files.list(out)) {
            assertEquals(0, left.count(), "overwrite empties the folder, as every peft4j writer replaces its output");
        }
    }
}
