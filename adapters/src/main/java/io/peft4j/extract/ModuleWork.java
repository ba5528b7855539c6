package io.peft4j.extract;

import io.peft4j.peft.LoraModule;
import java.util.function.Supplier;

/**
 * One module to decompose, with where its factors go: tensor names and shapes of the result.
 * Implementations read their inputs only when {@link #decompose} runs, on a worker thread.
 */
sealed interface ModuleWork {

    /** The module name. */
    String module();

    /** The name of the {@code A} tensor in the adapter file. */
    String aName();

    /** The name of the {@code B} tensor in the adapter file. */
    String bName();

    /** The shape of the {@code A} tensor at rank {@code k}. */
    long[] aShape(int k);

    /** The shape of the {@code B} tensor at rank {@code k}. */
    long[] bShape(int k);

    /** Decomposes the module's update. */
    Decomposed decompose(ExtractOptions options, long seed);

    /** PEFT's key prefix. */
    String PREFIX = "base_model.model.";

    /**
     * Relative errors below this are measured with one more pass over the update; above it, the
     * energy balance {@code ||delta||^2 - sum_{j<k} S_j^2} (exact for the projection the factors are)
     * is accurate to better than 0.1 % and saves that pass.
     */
    double MEASURED_BELOW = 0.05;

    /**
     * A linear layer whose update is streamed from a {@link DeltaMatrix} (a task vector, a DoRA
     * update), stored {@code [out, in]}, or {@code [in, out]} for GPT-2's Conv1D ({@code transposed}).
     */
    record Streamed(String module, int out, int in, boolean transposed, Supplier<DeltaMatrix> delta) implements ModuleWork {
        @Override
        public String aName() {
            return PREFIX + module + ".lora_A.weight";
        }

        @Override
        public String bName() {
            return PREFIX + module + ".lora_B.weight";
        }

        @Override
        public long[] aShape(int k) {
            return new long[] {k, in};
        }

        @Override
        public long[] bShape(int k) {
            return new long[] {out, k};
        }

        @Override
        public Decomposed decompose(ExtractOptions options, long seed) {
            DeltaMatrix matrix = delta.get();
            Factorization f = options.exact() ? ExactSvd.of(matrix)
                    : RandomizedSvd.of(matrix, options.maxRank() + options.oversampling(), options.powerIterations(), seed);
            return Decomposed.of(module, f, options, (fact, pair) -> {
                double balance = fact.totalEnergy() - fact.energy(pair.rank());
                return balance > MEASURED_BELOW * MEASURED_BELOW * fact.totalEnergy() ? balance
                        : new RowBlockProducts(matrix).residual(pair);
            }, transposed);
        }
    }

    /**
     * A module of an existing LoRA adapter, decomposed exactly in factor space ({@link ProductSvd});
     * the error of a truncation is the energy of the dropped singular values.
     */
    record Refactored(LoraModule source, String aName, String bName) implements ModuleWork {
        @Override
        public String module() {
            return source.moduleName();
        }

        @Override
        public long[] aShape(int k) {
            long[] s = source.loraA().shape();
            s[0] = k;
            return s;
        }

        @Override
        public long[] bShape(int k) {
            long[] s = source.loraB().shape();
            s[1] = k;
            return s;
        }

        @Override
        public Decomposed decompose(ExtractOptions options, long seed) {
            int rank = source.rank();
            int out = Math.toIntExact(source.loraB().shape()[0]);
            int in = Math.toIntExact(source.loraA().numel() / rank);
            Factorization f = ProductSvd.of(source.loraB().toFloatArray(), source.loraA().toFloatArray(), out, rank, in,
                    source.scaling());
            return Decomposed.of(module(), f, options, (fact, pair) -> fact.totalEnergy() - fact.energy(pair.rank()), false);
        }
    }
}
