package io.peft4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.bridge.PythonException;
import io.peft4j.bridge.PythonRuntime;
import io.peft4j.core.Peft4jException;
import io.peft4j.tuning.Targets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cancellation (by the handle, the future and an interrupt), resume, listener and Python errors,
 * concurrent callers and the QLoRA CPU guard, all through the real bridge.
 */
class TrainingControlTest {

    private static TrainConfig.Builder tiny(Path out, int steps) {
        return TrainConfig.builder().baseModel(TinyFixtures.model()).data(TinyFixtures.text()).outputDir(out)
                .maxSteps(steps).batchSize(4).maxLength(64).learningRate(1e-2).targets(Targets.allLinear());
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
        Path checkpoint = stopped.checkpoint().orElseThrow();
        assertEquals(List.of(checkpoint), checkpoints);
        assertEquals(out.resolve("checkpoints").resolve("checkpoint-" + stopped.steps()), checkpoint);
        // PEFT loads the checkpoint as an adapter
        double base = Peft.evaluate(TinyFixtures.model(), null, TinyFixtures.text()).loss();
        assertTrue(Peft.evaluate(TinyFixtures.model(), checkpoint, TinyFixtures.text()).loss() < base);

        List<Long> resumedSteps = new ArrayList<>();
        TrainResult resumed = Peft.train(config.toBuilder().resumeFrom(checkpoint).build(), new TrainingListener() {
            @Override public void onStep(TrainStep step) { resumedSteps.add(step.step()); }
        });
        assertEquals(12, resumed.steps());
        assertEquals(stopped.steps() + 1, resumedSteps.getFirst(), "the step count continues from the checkpoint");
        TrainEveryMethodTest.metricsLosses(resumed.metricsPath(), 12);
    }

    @Test
    void cancellingTheFutureStopsTheRunWithinOneStep(@TempDir Path out) throws InterruptedException {
        AtomicReference<TrainingHandle> handle = new AtomicReference<>();
        AtomicReference<TrainResult> ended = new AtomicReference<>();
        CountDownLatch end = new CountDownLatch(1);
        handle.set(Peft.trainAsync(tiny(out, 40).build(), new TrainingListener() {
            @Override public void onStep(TrainStep step) {
                if (step.step() == 2) {
                    assertTrue(handle.get().future().cancel(true));
                }
            }
            @Override public void onEnd(TrainResult result) {
                ended.set(result);
                end.countDown();
            }
        }));
        assertTrue(end.await(5, TimeUnit.MINUTES), "the run ended");
        assertTrue(handle.get().future().isCancelled());
        assertTrue(ended.get().cancelled());
        assertTrue(ended.get().steps() <= 3, "stopped within one step of the request: " + ended.get().steps());
        assertEquals(ended.get(), handle.get().await(), "await still returns the stopped run's result");
    }

    @Test
    void interruptingTheCallerOfTrainCancelsTheRun(@TempDir Path out) throws InterruptedException {
        AtomicReference<Thread> caller = new AtomicReference<>();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<TrainResult> ended = new AtomicReference<>();
        CountDownLatch end = new CountDownLatch(1);
        TrainingListener interruptAtTwo = new TrainingListener() {
            @Override public void onStep(TrainStep step) {
                if (step.step() == 2) {
                    caller.get().interrupt();
                }
            }
            @Override public void onEnd(TrainResult result) {
                ended.set(result);
                end.countDown();
            }
        };
        Thread thread = Thread.ofPlatform().unstarted(() -> {
            try {
                Peft.train(tiny(out, 40).build(), interruptAtTwo);
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        caller.set(thread);
        thread.start();
        thread.join(TimeUnit.MINUTES.toMillis(5));
        assertTrue(thrown.get() instanceof Peft4jException, "the caller is told: " + thrown.get());
        assertTrue(thrown.get().getMessage().contains("the run was cancelled"), thrown.get().getMessage());
        assertTrue(end.await(5, TimeUnit.MINUTES), "no orphaned run: it ended");
        assertTrue(ended.get().cancelled());
        assertTrue(ended.get().steps() <= 3, "stopped within one step of the interrupt: " + ended.get().steps());
    }

    @Test
    void anExceptionFromTheListenerIsThrownAsItself(@TempDir Path out) {
        IllegalStateException thrown = new IllegalStateException("the listener's own failure");
        TrainingListener failing = new TrainingListener() {
            @Override public void onStep(TrainStep step) {
                throw thrown;
            }
        };
        assertSame(thrown, assertThrows(IllegalStateException.class, () -> Peft.train(tiny(out, 4).build(), failing)));
        assertFalse(Files.exists(out.resolve("adapter_model.safetensors")), "the run was aborted");
    }

    @Test
    void aPythonErrorSurfacesAsPythonExceptionWithItsTraceback(@TempDir Path out) {
        TrainConfig config = tiny(out, 2).targets(Targets.names("no_such_module")).build();
        PythonException e = assertThrows(PythonException.class, () -> Peft.train(config));
        assertEquals("peft.utils.error.NoMatchingPeftModuleError", e.pythonType(), "a ValueError subclass PEFT raises");
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
