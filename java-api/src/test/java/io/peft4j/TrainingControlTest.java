package io.peft4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.bridge.PythonException;
import io.peft4j.bridge.PythonRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cancellation, resume, Python errors, concurrent callers and the QLoRA CPU guard, all through the real bridge. */
class TrainingControlTest {

    private static TrainConfig.Builder tiny(Path out, int steps) {
        return TrainConfig.builder().baseModel(TinyFixtures.model()).data(TinyFixtures.text()).outputDir(out)
                .maxSteps(steps).batchSize(4).maxLength(64).learningRate(1e-2).targets(TrainConfig.Targets.allLinear());
    }

    @Test
    void cancelStopsWithinOneStepLeavesALoadableCheckpointAndResumeContinues(@TempDir Path out) throws IOException {
        AtomicReference<TrainingHandle> handle = new AtomicReference<>();
        List<Path> checkpoints = new ArrayList<>();
        TrainingListener cancelAtThree = new TrainingListener() {
            @Override public void onStep(TrainStep step) {
                if (step.step() == 3) {
                    handle.get().cancel();
                }
            }
            @Override public void onCheckpoint(Path checkpoint) { checkpoints.add(checkpoint); }
        };
        TrainConfig config = tiny(out, 12).build();
        // the listener only runs once Python starts, after trainAsync has returned the handle
        handle.set(Peft.trainAsync(config, cancelAtThree));
        TrainResult stopped = handle.get().await();

        assertTrue(stopped.cancelled());
        assertTrue(stopped.steps() >= 3 && stopped.steps() <= 4, "stopped within one step of the request: " + stopped.steps());
        assertNotNull(stopped.checkpoint());
        assertEquals(List.of(stopped.checkpoint()), checkpoints);
        assertEquals(out.resolve("checkpoints").resolve("checkpoint-" + stopped.steps()), stopped.checkpoint());
        // PEFT loads the checkpoint as an adapter
        double base = Peft.evaluate(TinyFixtures.model(), null, TinyFixtures.text()).loss();
        assertTrue(Peft.evaluate(TinyFixtures.model(), stopped.checkpoint(), TinyFixtures.text()).loss() < base);

        List<Long> resumedSteps = new ArrayList<>();
        TrainResult resumed = Peft.train(config.toBuilder().resumeFrom(stopped.checkpoint()).build(), new TrainingListener() {
            @Override public void onStep(TrainStep step) { resumedSteps.add(step.step()); }
        });
        assertEquals(12, resumed.steps());
        assertEquals(stopped.steps() + 1, resumedSteps.getFirst(), "the step count continues from the checkpoint");
        TrainEveryMethodTest.metricsLosses(resumed.metricsPath(), 12);
    }

    @Test
    void aPythonErrorSurfacesAsPythonExceptionWithItsTraceback(@TempDir Path out) {
        TrainConfig config = tiny(out, 2).targets(TrainConfig.Targets.names("no_such_module")).build();
        PythonException e = assertThrows(PythonException.class, () -> Peft.train(config));
        assertEquals("ValueError", e.pythonType());
        assertTrue(e.getMessage().contains("no_such_module"), e.getMessage());
        assertTrue(e.traceback().contains("peft4j_bridge/train.py"), e.traceback());
        assertTrue(e.traceback().contains("get_peft_model"), e.traceback());
    }

    @Test
    void concurrentTrainingAndGenerationAreSerializedAndBothSucceed(@TempDir Path out) {
        TrainingHandle training = Peft.trainAsync(tiny(out, 6).build(), TrainingListener.none());
        CompletableFuture<Generation> generation = CompletableFuture.supplyAsync(() ->
                Peft.generate(TinyFixtures.model(), List.of(), "hello alice", GenerateOptions.defaults().withMaxNewTokens(8)));
        CompletableFuture<TrainResult> second = CompletableFuture.supplyAsync(() ->
                Peft.train(tiny(out.resolve("second"), 4).build()));
        assertEquals(6, training.await().steps());
        assertEquals(4, second.join().steps());
        assertEquals(8, generation.join().newTokens());
    }

    @Test
    void adaptersChangeGenerationAndSamplingIsSeeded(@TempDir Path out) {
        Path adapter = Peft.train(tiny(out, 20).learningRate(3e-2).build()).adapterDir();
        GenerateOptions greedy = GenerateOptions.defaults().withMaxNewTokens(12);
        String base = Peft.generate(TinyFixtures.model(), List.of(), "hello", greedy).text();
        String tuned = Peft.generate(TinyFixtures.model(), List.of(adapter), "hello", greedy).text();
        assertNotEquals(base, tuned);
        GenerateOptions sampled = greedy.withSampling(0.9, 0.95, 0, 5);
        assertEquals(Peft.generate(TinyFixtures.model(), List.of(adapter), "hello", sampled).text(),
                Peft.generate(TinyFixtures.model(), List.of(adapter), "hello", sampled).text());
        String combined = Peft.generate(TinyFixtures.model(), List.of(adapter, adapter), "hello",
                greedy.withWeights(List.of(0.5, 0.5))).text();
        assertEquals(tuned, combined, "two halves of one adapter make the adapter");
    }

    @Test
    void qloraGuardKeepsGradientsIntactAfterAnEvalPass() {
        PythonRuntime python = TinyFixtures.python();
        String base = TinyFixtures.model().toString();
        double guarded = python.callAs(Double.class, "training_checks", "qlora_gradient_drift_after_eval", base, true);
        assertEquals(0.0, guarded, 1e-6, "with support_avx512bf16_for_cpu off, an eval pass leaves training gradients unchanged");
        Assumptions.assumeTrue(python.callAs(Boolean.class, "training_checks", "cpu_has_avx512_bf16"),
                "this CPU has no AVX512-BF16, so the bitsandbytes repack bug cannot show here");
        double unguarded = python.callAs(Double.class, "training_checks", "qlora_gradient_drift_after_eval", base, false);
        assertTrue(unguarded > 0.1, "without the guard the bug should show on this CPU; drift " + unguarded);
    }
}
