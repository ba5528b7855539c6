package io.peft4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.bridge.PythonException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DPO of a LoRA adapter through TRL's DPOTrainer on the tiny model, in the embedded interpreter. */
class DpoTrainingTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] NAMES = {"alice", "bob", "carol", "dave"};

    /** Preferences with one clear pattern: a friendly greeting is chosen over a rude one. */
    private static Path preferences(Path dir) throws IOException {
        Random random = new Random(3);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            String name = NAMES[random.nextInt(NAMES.length)];
            lines.add("{\"prompt\": \"Greet " + name + ":\", \"chosen\": \" hello " + name + ", the cat sat on the mat.\", "
                    + "\"rejected\": \" " + name + " go away, the dog is loud.\"}");
        }
        return Files.write(dir.resolve("preferences.jsonl"), lines);
    }

    @Test
    void theRewardMarginRisesAndTheAdapterLoadsInPeft(@TempDir Path dir) throws IOException {
        List<TrainStep> steps = new ArrayList<>();
        TrainConfig config = TrainConfig.builder().baseModel(TinyFixtures.model()).data(preferences(dir))
                .outputDir(dir.resolve("out")).method(TrainMethod.DPO).dpo(TrainMethod.LORA, 0.1).maxSteps(12)
                .batchSize(4).maxLength(64).learningRate(1e-2).targets(TrainConfig.Targets.allLinear()).build();
        TrainResult result = Peft.train(config, new TrainingListener() {
            @Override public void onStep(TrainStep step) { steps.add(step); }
        });

        assertEquals(12, result.steps());
        assertEquals(12, steps.size());
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(result.metricsPath())) {
            rows.add(JSON.readTree(line));
        }
        assertEquals(12, rows.size());
        double first = rows.getFirst().get("rewards/margins").asDouble();
        double last = rows.getLast().get("rewards/margins").asDouble();
        assertEquals(0.0, first, 1e-6, "at step 1 the adapter is zero, so the policy is the reference");
        assertTrue(last > 1.0, "the margin (chosen minus rejected reward) rises: " + first + " -> " + last);
        assertTrue(rows.getLast().get("rewards/accuracies").asDouble() > 0.9);
        assertEquals(Math.log(2), steps.getFirst().loss(), 1e-4, "DPO's loss starts at log 2");
        assertTrue(steps.getLast().loss() < 0.3, "the DPO loss falls: " + steps.getLast().loss());
        String summary = TinyFixtures.python().callAs(String.class, "training_checks", "adapter_summary", result.adapterDir().toString());
        assertEquals("LORA", JSON.readTree(summary).get("peft_type").asText());
        assertTrue(JSON.readTree(summary).get("tensors").asInt() > 0);
    }

    @Test
    void nonPreferenceDataIsRejectedNamingTheRecord(@TempDir Path dir) {
        TrainConfig config = TrainConfig.builder().baseModel(TinyFixtures.model()).data(TinyFixtures.text())
                .outputDir(dir).method(TrainMethod.DPO).maxSteps(1).build();
        PythonException e = assertThrows(PythonException.class, () -> Peft.train(config));
        assertTrue(e.getMessage().contains("record 1: dpo needs \"prompt\", \"chosen\" and \"rejected\""), e.getMessage());
    }

    @Test
    void dpoBaseMustBeALoraKind() {
        assertThrows(TrainConfigException.class, () -> TrainConfig.builder().baseModel(TinyFixtures.model())
                .data(TinyFixtures.text()).outputDir(Path.of("out")).method(TrainMethod.DPO).dpo(TrainMethod.IA3, 0.1).build());
    }
}
