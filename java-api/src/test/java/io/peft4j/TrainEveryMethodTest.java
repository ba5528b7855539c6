package io.peft4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.bridge.PythonRuntime;
import io.peft4j.tuning.Targets;
import io.peft4j.tuning.TrainMethod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every method trains the tiny Llama through {@link Peft#train} in this JVM's embedded Python:
 * the loss falls, every step is in {@code metrics.jsonl}, the listener hears each step, and PEFT
 * itself loads the adapter ({@code PeftConfig.from_pretrained}, and {@code PeftModel.from_pretrained}
 * inside {@link Peft#evaluate}), which scores the trained data better than the bare base.
 */
class TrainEveryMethodTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @EnumSource(value = TrainMethod.class, names = {"FULL", "DPO"}, mode = EnumSource.Mode.EXCLUDE) // DpoTrainingTest; full is not trained
    void trainsLoadsInPeftAndTheLossFalls(TrainMethod method) throws IOException {
        Path out = Files.createTempDirectory("peft4j-" + method.id());
        TrainConfig.Builder builder = TrainConfig.builder().baseModel(TinyFixtures.model()).outputDir(out)
                .method(method).maxSteps(20).batchSize(4).maxLength(64).learningRate(1e-2).seed(7);
        Path data = TinyFixtures.promptCompletion();
        switch (method) {
            case LORA -> builder.data(TinyFixtures.text()).targets(Targets.allLinear());
            case QLORA -> builder.data(data).maxSteps(10).targets(Targets.allLinear());
            case DORA -> builder.records(TinyFixtures.examples()).targets(Targets.names("q_proj", "v_proj", "down_proj"));
            case RSLORA -> builder.data(TinyFixtures.chat()).targets(Targets.regex(".*\\.(q_proj|k_proj|v_proj|o_proj)"));
            case ADALORA -> builder.data(data).learningRate(2e-2).targets(Targets.allLinear());
            case IA3 -> builder.data(data).learningRate(1e-1);
            case PROMPT_TUNING -> builder.data(data).learningRate(1e-1);
            case FULL, DPO -> throw new IllegalArgumentException(method + " is not trained here");
        }
        TrainConfig config = builder.build();
        AtomicInteger steps = new AtomicInteger();
        List<TrainResult> ended = new ArrayList<>();
        TrainResult result = Peft.train(config, new TrainingListener() {
            @Override public void onStep(TrainStep step) { steps.incrementAndGet(); }
            @Override public void onEnd(TrainResult r) { ended.add(r); }
        });

        assertEquals(config.maxSteps(), result.steps());
        assertEquals(config.maxSteps(), steps.get(), "one onStep per step");
        assertEquals(List.of(result), ended, "onEnd once, with the result");
        assertFalse(result.cancelled());
        assertTrue(Files.isRegularFile(out.resolve("adapter_config.json")));
        assertTrue(Files.isRegularFile(out.resolve("adapter_model.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve("train_config.json")));
        if (method == TrainMethod.QLORA) {
            assertEquals("paged_adamw_8bit", result.optimizerRequested());
            assertEquals("adamw_8bit", result.optimizer(), "on CPU the unpaged 8-bit AdamW runs, and is reported");
        }

        List<Double> losses = metricsLosses(result.metricsPath(), config.maxSteps());
        double first = mean(losses.subList(0, 5));
        double last = mean(losses.subList(losses.size() - 5, losses.size()));
        assertTrue(last < first, method + ": loss did not fall: first five " + first + ", last five " + last);

        JsonNode summary = JSON.readTree(TinyFixtures.python().callAs(String.class, "training_checks", "adapter_summary", out.toString()));
        assertEquals(peftType(method), summary.get("peft_type").asText());
        assertTrue(summary.get("tensors").asInt() > 0);
        Path scored = config.data().orElse(TinyFixtures.promptCompletion());
        double base = Peft.evaluate(TinyFixtures.model(), null, scored).loss();
        double tuned = Peft.evaluate(TinyFixtures.model(), out, scored).loss();
        assertTrue(tuned < base, method + ": adapter loaded in PEFT scores " + tuned + ", base " + base);
    }

    /** The losses of metrics.jsonl, read as the contract's steps, checking every step 1..n is there once. */
    static List<Double> metricsLosses(Path metrics, int steps) {
        List<TrainStep> rows = TrainingMetrics.steps(metrics);
        assertEquals(LongStream.rangeClosed(1, steps).boxed().toList(), rows.stream().map(TrainStep::step).toList(),
                "one metrics row per step");
        for (TrainStep row : rows) {
            assertTrue(row.tokensPerSecond() > 0 && row.tokensSeen() > 0, "tokens counted in " + row);
            assertTrue(Double.isFinite(row.loss()) && row.learningRate() > 0, row.toString());
        }
        return rows.stream().map(TrainStep::loss).toList();
    }

    private static String peftType(TrainMethod method) {
        return switch (method) {
            case LORA, QLORA, DORA, RSLORA, DPO -> "LORA";
            case ADALORA -> "ADALORA";
            case FULL -> throw new IllegalArgumentException("no adapter");
            case IA3 -> "IA3";
            case PROMPT_TUNING -> "PROMPT_TUNING";
        };
    }

    private static double mean(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    }
}
