package io.peft4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.tuning.Targets;
import io.peft4j.tuning.TrainMethod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DPO through TRL's DPOTrainer from Java: the reward margin TRL logs rises and PEFT reads the adapter. */
class DpoTrainingTest {

    @Test
    void rewardMarginRises(@TempDir Path dir) throws IOException {
        List<String> lines = new ArrayList<>();
        String[] names = {"alice", "bob", "carol", "dave"};
        for (int i = 0; i < 40; i++) {
            String n = names[i % names.length];
            lines.add("{\"prompt\": \"Greet " + n + ":\", \"chosen\": \" hello " + n + ", nice to see you.\", \"rejected\": \" go away " + n + ".\"}");
        }
        Path data = Files.write(dir.resolve("pref.jsonl"), lines);
        TrainConfig config = TrainConfig.builder().baseModel(TinyFixtures.model()).data(data).outputDir(dir.resolve("out"))
                .method(TrainMethod.DPO).maxSteps(10).batchSize(4).maxLength(64).learningRate(1e-2)
                .targets(Targets.allLinear()).build();
        TrainResult result = Peft.train(config);
        assertEquals(10, result.steps());

        ObjectMapper json = new ObjectMapper();
        List<Double> margins = TrainingMetrics.steps(result.metricsPath()).stream()
                .map(step -> step.rewardMargin().orElseThrow()).toList();
        assertEquals(10, margins.size());
        double first = margins.subList(0, 3).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double last = margins.subList(7, 10).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertTrue(last > first + 0.1, "reward margin did not rise: first three " + first + ", last three " + last);
        JsonNode summary = json.readTree(TinyFixtures.python().callAs(String.class, "training_checks", "adapter_summary",
                result.adapterDir().toString()));
        assertEquals("LORA", summary.get("peft_type").asText());
    }

    @Test
    void qloraBaseTrainsOnAFourBitBase(@TempDir Path dir) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            lines.add("{\"prompt\": \"Greet bob:\", \"chosen\": \" hello bob, nice to see you.\", \"rejected\": \" go away bob.\"}");
        }
        Path data = Files.write(dir.resolve("pref.jsonl"), lines);
        TrainConfig config = TrainConfig.builder().baseModel(TinyFixtures.model()).data(data).outputDir(dir.resolve("out"))
                .method(TrainMethod.DPO).dpo(TrainMethod.QLORA, 0.1).maxSteps(4).batchSize(4).maxLength(64)
                .learningRate(1e-2).targets(Targets.allLinear()).build();
        TrainResult result = Peft.train(config);
        assertEquals(4, result.steps());
        assertEquals("adamw_8bit", result.optimizer(), "QLoRA's default optimizer (unpaged on CPU)");
        JsonNode written = new ObjectMapper().readTree(result.configPath().toFile());
        assertEquals("qlora", written.get("request").get("config").get("dpo_base").asText());
        List<TrainStep> steps = TrainingMetrics.steps(result.metricsPath());
        assertTrue(steps.getLast().rewardMargin().orElseThrow() > 0, steps.getLast().toString());
    }

    @Test
    void nonPreferenceDataIsRejectedInJavaBeforePythonStarts(@TempDir Path dir) {
        TrainConfig config = TrainConfig.builder().baseModel(TinyFixtures.model()).data(TinyFixtures.text())
                .outputDir(dir).method(TrainMethod.DPO).maxSteps(1).build();
        TrainConfigException e = assertThrows(TrainConfigException.class, () -> Peft.train(config));
        assertTrue(e.getMessage().endsWith("dpo needs {\"prompt\",\"chosen\",\"rejected\"} records, found text records"),
                e.getMessage());
    }
}
