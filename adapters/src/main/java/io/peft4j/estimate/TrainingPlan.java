package io.peft4j.estimate;

import io.peft4j.tuning.Targets;
import io.peft4j.tuning.TrainMethod;
import java.util.Set;

/**
 * What the estimate is for: method, adapter, precision, optimizer and batch shape. Build one with
 * {@link #builder()}; every field has the default a plain PEFT + Trainer run would use.
 *
 * @param method                 full, lora, qlora, dora or rslora (rsLoRA only rescales, so it costs what LoRA costs)
 * @param rank                   LoRA rank r (adapter methods)
 * @param targets                target modules ({@link Targets#peftDefault()}: PEFT's default for the model type)
 * @param precision              dtype the model is loaded and computed in
 * @param adapterPrecision       dtype of adapter weights; PEFT upcasts 16-bit adapters to fp32 by default
 * @param optimizer              optimizer, which sets the bytes of state per trained parameter
 * @param batchSize              micro-batch size (sequences per forward pass)
 * @param seqLen                 tokens per sequence
 * @param gradientCheckpointing  recompute each block in backward instead of keeping its activations
 * @param gradientAccumulation   micro-batches per optimizer step (does not change peak memory)
 * @param doubleQuant            QLoRA double quantization of the NF4 constants
 * @param upcastNonQuantized     QLoRA: PEFT's {@code prepare_model_for_kbit_training} casts every
 *                               non-quantized parameter (embeddings, norms, lm_head) to fp32; false keeps
 *                               them in the compute dtype (as the QLoRA paper's qlora.py does)
 */
public record TrainingPlan(TrainMethod method, int rank, Targets targets, Precision precision,
                           Precision adapterPrecision, Optimizer optimizer, int batchSize, int seqLen,
                           boolean gradientCheckpointing, int gradientAccumulation, boolean doubleQuant,
                           boolean upcastNonQuantized) {

    /** The methods the estimator models. */
    public static final Set<TrainMethod> ESTIMATED = Set.of(TrainMethod.FULL, TrainMethod.LORA, TrainMethod.QLORA,
            TrainMethod.DORA, TrainMethod.RSLORA);
    private static final String ESTIMATED_NAMES = "full, lora, qlora, dora, rslora";

    /** Checks the numbers are usable. */
    public TrainingPlan {
        if (method == null || !ESTIMATED.contains(method)) {
            throw new EstimateException("method '" + method + "' is not one of " + ESTIMATED_NAMES);
        }
        if (targets == null) {
            throw new EstimateException("targets are required (Targets.peftDefault() for PEFT's default)");
        }
        positive("rank", rank);
        positive("batch size", batchSize);
        positive("sequence length", seqLen);
        positive("gradient accumulation steps", gradientAccumulation);
        if (method == TrainMethod.QLORA && precision == Precision.FP16) {
            throw new EstimateException("QLoRA on peft4j computes in bf16 or fp32, not fp16");
        }
    }

    private static void positive(String what, int value) {
        if (value < 1) {
            throw new EstimateException(what + " must be at least 1, got " + value);
        }
    }

    /** Tokens in one micro-batch. */
    public long tokensPerMicroBatch() {
        return (long) batchSize * seqLen;
    }

    /** A builder starting from the defaults: LoRA r=16 on PEFT's default targets, bf16, AdamW, batch 1 x 512. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link TrainingPlan}. */
    public static final class Builder {
        private TrainMethod method = TrainMethod.LORA;
        private int rank = 16;
        private Targets targets = Targets.peftDefault();
        private Precision precision = Precision.BF16;
        private Precision adapterPrecision = Precision.FP32;
        private Optimizer optimizer = Optimizer.ADAMW;
        private int batchSize = 1;
        private int seqLen = 512;
        private boolean gradientCheckpointing;
        private int gradientAccumulation = 1;
        private boolean doubleQuant = true;
        private boolean upcastNonQuantized = true;

        private Builder() {}

        /** Sets the method. */
        public Builder method(TrainMethod value) {
            method = value;
            return this;
        }

        /** Sets the method by name ({@code full}, {@code lora}, {@code qlora}, {@code dora} or {@code rslora}). */
        public Builder method(String name) {
            method = ESTIMATED.stream().filter(m -> m.id().equalsIgnoreCase(name.strip())).findFirst().orElseThrow(() ->
                    new EstimateException("method '" + name + "' is not one of " + ESTIMATED_NAMES));
            return this;
        }

        /** Sets the LoRA rank. */
        public Builder rank(int value) {
            rank = value;
            return this;
        }

        /** Sets the target modules. */
        public Builder targets(Targets value) {
            targets = value;
            return this;
        }

        /** Sets the model's dtype. */
        public Builder precision(Precision value) {
            precision = value;
            return this;
        }

        /** Sets the adapter weights' dtype. */
        public Builder adapterPrecision(Precision value) {
            adapterPrecision = value;
            return this;
        }

        /** Sets the optimizer. */
        public Builder optimizer(Optimizer value) {
            optimizer = value;
            return this;
        }

        /** Sets the micro-batch size. */
        public Builder batchSize(int value) {
            batchSize = value;
            return this;
        }

        /** Sets the sequence length. */
        public Builder seqLen(int value) {
            seqLen = value;
            return this;
        }

        /** Turns gradient checkpointing on or off. */
        public Builder gradientCheckpointing(boolean value) {
            gradientCheckpointing = value;
            return this;
        }

        /** Sets the gradient accumulation steps. */
        public Builder gradientAccumulation(int value) {
            gradientAccumulation = value;
            return this;
        }

        /** Turns QLoRA double quantization on or off. */
        public Builder doubleQuant(boolean value) {
            doubleQuant = value;
            return this;
        }

        /** Whether QLoRA's non-quantized parameters are upcast to fp32 (PEFT's kbit preparation). */
        public Builder upcastNonQuantized(boolean value) {
            upcastNonQuantized = value;
            return this;
        }

        /** The plan. */
        public TrainingPlan build() {
            return new TrainingPlan(method, rank, targets, precision, adapterPrecision, optimizer, batchSize, seqLen,
                    gradientCheckpointing, gradientAccumulation, doubleQuant, upcastNonQuantized);
        }
    }
}
