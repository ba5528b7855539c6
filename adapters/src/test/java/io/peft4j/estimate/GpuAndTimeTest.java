package io.peft4j.estimate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.tuning.TrainMethod;
import org.junit.jupiter.api.Test;

/** The GPU table, the fit and GPU count, and the FLOP-based time per epoch. */
class GpuAndTimeTest {

    @Test
    void gpuNamesMatchLooselyButNotAmbiguously() {
        assertEquals("A100-80GB", Gpu.named("a100 80gb").name());
        assertEquals("RTX-4090", Gpu.named("rtx4090").name());
        assertEquals("H100-SXM", Gpu.named("H100-SXM").name());
        var ambiguous = assertThrows(EstimateException.class, () -> Gpu.named("A100"));
        assertTrue(ambiguous.getMessage().startsWith("GPU 'A100' is ambiguous; known: A100-40GB, A100-80GB"),
                ambiguous.getMessage());
        assertThrows(EstimateException.class, () -> Gpu.named("A200"));
        assertFalse(Gpu.withMemory(24, 0).hasThroughput());
    }

    @Test
    void fullFineTuningFlopsAreSixNPlusAttention() {
        ModelShapes gpt2 = Fixtures.model("openai-community--gpt2.json");
        TrainingPlan full = TrainingPlan.builder().method(TrainMethod.FULL).seqLen(1024).build();
        TimeEstimate t = TimeEstimate.of(gpt2, full, 1_000_000, Gpu.named("A100-80GB"), 1, 0.5);
        // matmul weights: 12 blocks x 12h^2 plus the 50257 x 768 LM head
        double n = 12 * 12.0 * 768 * 768 + 50257.0 * 768;
        assertEquals(3 * (2 * n + 4.0 * 12 * 1024 * 768), t.flopsPerToken(), 1);
        assertEquals(1e6 * t.flopsPerToken() / (312e12 * 0.5), t.seconds(), 1e-9);
        TrainingPlan lora = TrainingPlan.builder().seqLen(1024).gradientCheckpointing(true).build();
        TimeEstimate l = TimeEstimate.of(gpt2, lora, 1_000_000, Gpu.named("A100-80GB"), 1, null);
        long adapter = MemoryModel.adapter(gpt2, lora).parameterCount();
        assertEquals(3 * (2 * n + 4.0 * 12 * 1024 * 768) + 6.0 * adapter, l.flopsPerToken(), 1);
        assertEquals(TimeEstimate.DEFAULT_MFU, l.mfu());
        assertThrows(EstimateException.class, () -> TimeEstimate.of(gpt2, lora, 1, Gpu.named("L4"), 1, 1.5));
    }

    @Test
    void gpusNeededShardsModelStateOnly() {
        MemoryBreakdown m = new MemoryBreakdown(100L << 30, 50L << 30, 100L << 30, 10L << 30, 4L << 30, 1L << 30, 0);
        Fit fit = Fit.of(m, Gpu.named("A100-80GB"));
        assertFalse(fit.fits());
        // 250 GiB of model state over (80 - 15) GiB per GPU -> 4 GPUs
        assertEquals(4, fit.gpusNeeded());
        MemoryBreakdown tooMuchActivation = new MemoryBreakdown(1L << 30, 0, 0, 90L << 30, 0, 1L << 30, 0);
        assertEquals(0, Fit.of(tooMuchActivation, Gpu.named("A100-80GB")).gpusNeeded());
        MemoryBreakdown paged = new MemoryBreakdown(20L << 30, 1L << 30, 8L << 30, 1L << 30, 0, 1L << 30, 8L << 30);
        Fit spill = Fit.of(paged, Gpu.named("RTX-4090"));
        assertFalse(spill.fits());
        assertTrue(spill.fitsWithPaging());
    }

    @Test
    void gradientAccumulationDoesNotChangeThePeak() {
        ModelShapes qwen = Fixtures.model("Qwen--Qwen2.5-0.5B.json");
        var one = MemoryModel.estimate(qwen, TrainingPlan.builder().batchSize(2).build());
        var eight = MemoryModel.estimate(qwen, TrainingPlan.builder().batchSize(2).gradientAccumulation(8).build());
        assertEquals(one, eight);
        var checkpointed = MemoryModel.estimate(qwen, TrainingPlan.builder().batchSize(2).gradientCheckpointing(true).build());
        assertTrue(checkpointed.activations() < one.activations() / 3);
    }
}
