package io.peft4j.estimate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.tuning.Targets;
import io.peft4j.tuning.TrainMethod;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The published reference points, reproduced by the model with the setups the papers describe.
 *
 * <ul>
 *   <li>QLoRA (Dettmers et al. 2023): "finetune a 65B parameter model on a single 48GB GPU", "from
 *       &gt;780GB of GPU memory" for 16-bit fine-tuning; NF4 with double quantization costs
 *       4 + 0.127 bits per parameter (from 4.5).</li>
 *   <li>LoRA (Hu et al. 2021, §4.2): on GPT-3 175B with r=4 on W_q and W_v, "the checkpoint size is
 *       reduced by roughly 10,000x" and "VRAM consumption during training from 1.2TB to 350GB".</li>
 * </ul>
 */
class ReferencePointsTest {

    private static final double GB = 1e9;

    /** The QLoRA paper's 65B setup (qlora.py): r=64 on all linear layers, bf16 adapters, paged AdamW, batch 1 x 512. */
    private static TrainingPlan qlora65b() {
        return TrainingPlan.builder().method(TrainMethod.QLORA).rank(64).targets(Targets.allLinear())
                .adapterPrecision(Precision.BF16).optimizer(Optimizer.PAGED_ADAMW).batchSize(1).seqLen(512)
                .gradientCheckpointing(true).upcastNonQuantized(false).build();
    }

    @Test
    void qlora65bFitsOne48GbGpu() {
        ModelShapes llama65b = Fixtures.model("huggyllama--llama-65b.json");
        MemoryBreakdown m = MemoryModel.estimate(llama65b, qlora65b());
        Fit fit = Fit.of(m, Gpu.named("RTX-A6000"));
        assertTrue(fit.fits(), () -> "total " + m.total() / GB + " GB");
        // and with a margin: the whole peak, overhead included, stays under 48 GB (decimal) too
        assertTrue(m.total() < 48 * GB, () -> "total " + m.total() / GB + " GB");
        // while 16-bit LoRA of the same model does not fit: its bf16 weights alone are 130 GB
        MemoryBreakdown lora = MemoryModel.estimate(llama65b, TrainingPlan.builder().method(TrainMethod.LORA).rank(64)
                .targets(Targets.allLinear()).gradientCheckpointing(true).build());
        assertFalse(Fit.of(lora, Gpu.named("RTX-A6000")).fits());
    }

    @Test
    void sixteenBitFullFineTuningOf65bNeedsOver780Gb() {
        // 16-bit weights and gradients with 32-bit Adam states: 2 + 2 + 8 bytes per parameter.
        ModelShapes llama65b = Fixtures.model("huggyllama--llama-65b.json");
        MemoryBreakdown full = MemoryModel.estimate(llama65b, TrainingPlan.builder().method(TrainMethod.FULL)
                .optimizer(Optimizer.PAGED_ADAMW).batchSize(1).seqLen(512).gradientCheckpointing(true).build());
        assertTrue(full.total() > 780 * GB, () -> full.total() / GB + " GB");
        assertEquals(780 * GB, full.modelState(), 0.05 * 780 * GB); // within 5 %
    }

    @Test
    void doubleQuantizationSavesAbout0Point373BitsPerParameter() {
        long n = 8192L * 22016;
        double single = Nf4.bytes(n, false) * 8.0 / n - 4;
        double dq = Nf4.bytes(n, true) * 8.0 / n - 4;
        assertEquals(0.5, single, 0.001);
        assertEquals(0.127, dq, 0.001);
    }

    @Test
    void loraOnGpt3ReducesTrainableParametersRoughly10000Times() {
        ModelShapes gpt3 = Fixtures.model("gpt3-175b.json");
        // GPT-2-style blocks fuse W_q, W_k, W_v into c_attn [h, 3h]; r*(h + 3h) for c_attn equals
        // r*(h + h) for W_q plus r*(h + h) for W_v, so the count is the paper's exactly.
        long trainable = AdapterShapes.of(gpt3, Targets.names(List.of("c_attn")), 4, false).parameterCount();
        assertEquals(96L * 2 * 4 * (12288 + 12288), trainable);
        double reduction = (double) gpt3.parameterCount() / trainable;
        assertEquals(10_000, reduction, 0.10 * 10_000); // 9,251x: within 10 % of "roughly 10,000x"
    }

    @Test
    void loraOnGpt3Needs350GbInsteadOf1Point2Tb() {
        ModelShapes gpt3 = Fixtures.model("gpt3-175b.json");
        TrainingPlan.Builder common = TrainingPlan.builder().precision(Precision.FP16).batchSize(1).seqLen(2048)
                .gradientCheckpointing(true);
        MemoryBreakdown full = MemoryModel.estimate(gpt3, common.method(TrainMethod.FULL).build());
        MemoryBreakdown lora = MemoryModel.estimate(gpt3, common.method(TrainMethod.LORA).rank(4)
                .targets(Targets.names(List.of("c_attn"))).adapterPrecision(Precision.FP16).build());
        // 16-bit weights, gradients and AdamW states (8 bytes/param): 1.41 TB vs the paper's 1.2 TB
        assertEquals(1.2e12, full.total(), 0.20 * 1.2e12);
        // frozen 16-bit weights plus a 19M-parameter adapter: 358 GB vs 350 GB
        assertEquals(350 * GB, lora.total(), 0.05 * 350 * GB);
        // 3.9x vs the paper's 1.2 TB / 350 GB = 3.4x ("reduce the GPU memory requirement by 3 times")
        assertEquals(1.2e12 / 350e9, (double) full.total() / lora.total(), 0.20 * 1.2e12 / 350e9);
    }
}
