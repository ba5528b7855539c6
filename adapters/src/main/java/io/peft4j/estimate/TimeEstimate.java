package io.peft4j.estimate;

import io.peft4j.tuning.TrainMethod;
/**
 * Time for one epoch from FLOPs. Forward FLOPs per token are {@code 2N + 4Lsq} (N the weights of
 * all matrix multiplications, including the LM head; {@code 4Lsq} the attention scores and their
 * product with the values, as in PaLM's MFU formula, Chowdhery et al. 2022, App. B). Training
 * costs 3 forwards for full fine-tuning (backward computes input and weight gradients, 2 forwards),
 * 2 forwards plus {@code 6A} for adapters (backward through the frozen weights computes input
 * gradients only), and one more forward with gradient checkpointing. Seconds =
 * {@code tokens * flopsPerToken / (tflops * 1e12 * mfu)}.
 *
 * @param tokens        tokens in one epoch
 * @param flopsPerToken training FLOPs per token
 * @param gpu           the GPU whose throughput is assumed
 * @param gpus          number of GPUs sharing the work
 * @param mfu           model FLOPs utilisation assumed (fraction of peak reached)
 * @param seconds       estimated seconds per epoch
 */
public record TimeEstimate(long tokens, double flopsPerToken, Gpu gpu, int gpus, double mfu, double seconds) {

    /** Default MFU for full fine-tuning, LoRA and DoRA with transformers on one GPU. */
    public static final double DEFAULT_MFU = 0.35;
    /** Default MFU for QLoRA, lower because every layer dequantizes its NF4 weights in forward and backward. */
    public static final double DEFAULT_QLORA_MFU = 0.25;

    /** The estimate; {@code mfu} null takes the default for the method. */
    public static TimeEstimate of(ModelShapes model, TrainingPlan plan, long tokens, Gpu gpu, int gpus, Double mfu) {
        if (tokens < 1) {
            throw new EstimateException("tokens per epoch must be at least 1, got " + tokens);
        }
        double utilisation = mfu != null ? mfu : plan.method() == TrainMethod.QLORA ? DEFAULT_QLORA_MFU : DEFAULT_MFU;
        if (!(utilisation > 0 && utilisation <= 1)) {
            throw new EstimateException("MFU must be in (0, 1], got " + utilisation);
        }
        Architecture a = model.architecture();
        double matmul = model.modules().stream().filter(ModuleShape::isLinear)
                .mapToDouble(m -> (double) m.inFeatures() * m.outFeatures()).sum();
        double forward = 2 * matmul + 4.0 * a.layers() * plan.seqLen() * a.queryDim();
        double perToken;
        if (plan.method() == TrainMethod.FULL) {
            perToken = 3 * forward;
        } else {
            perToken = 2 * forward + 6.0 * MemoryModel.adapter(model, plan).parameterCount();
        }
        if (plan.gradientCheckpointing()) {
            perToken += forward;
        }
        double seconds = tokens * perToken / (gpu.tflops() * 1e12 * utilisation * gpus);
        return new TimeEstimate(tokens, perToken, gpu, gpus, utilisation, seconds);
    }
}
