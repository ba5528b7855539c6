package io.peft4j.merge;

import io.peft4j.safetensors.SafetensorsFile;
import io.peft4j.safetensors.TensorInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * What {@link LoraSoup#soup} does. Build with {@link #builder(SoupMethod, Path)}.
 *
 * @param method       the combination
 * @param adapters     the inputs with their weights
 * @param out          the adapter directory to create; must not exist or be empty unless {@code overwrite}
 * @param rank         the rank of the {@code *svd} results (default: the largest input rank)
 * @param density      the fraction kept by pruning methods (required by them)
 * @param majoritySign the sign election of the TIES methods
 * @param seed         the seed of DARE's random pruning
 * @param lambda       ZipLoRA's overlap penalty weight
 * @param steps        ZipLoRA's Adam steps
 * @param calibration  ZipLoRA's optional calibration activations, one map per adapter, module name to
 *                     row-major {@code [n, in]} inputs of that module; empty for the data-free objective
 * @param overwrite    whether an existing, non-empty {@code out} is replaced (see {@link io.peft4j.output.OutputPolicy})
 */
public record SoupOptions(SoupMethod method, List<WeightedAdapter> adapters, Path out, OptionalInt rank,
                          Double density, MajoritySign majoritySign, long seed, double lambda, int steps,
                          List<Map<String, float[]>> calibration, boolean overwrite) {

    /** Checks the options. */
    public SoupOptions {
        adapters = List.copyOf(adapters);
        calibration = List.copyOf(calibration);
        if (adapters.isEmpty()) {
            throw new MergeException("a soup needs at least one adapter");
        }
        if (method.needsDensity() && adapters.size() > 1 && density == null) {
            throw new MergeException(method.cliName() + " needs a density (the fraction of values kept), e.g. --density 0.5");
        }
        if (density != null && !(density >= 0 && density <= 1)) {
            throw new MergeException("density must be between 0 and 1, got " + density);
        }
        if (rank.isPresent() && rank.getAsInt() <= 0) {
            throw new MergeException("rank must be positive, got " + rank.getAsInt());
        }
        if (method == SoupMethod.ZIPLORA && adapters.size() != 2) {
            throw new MergeException("ziplora merges exactly two adapters (content and style), got " + adapters.size());
        }
        if (!calibration.isEmpty() && calibration.size() != adapters.size()) {
            throw new MergeException("give calibration activations for every adapter or for none");
        }
    }

    /**
     * Reads ZipLoRA calibration activations from a safetensors file: one tensor per module, named like
     * the module ({@code model.layers.0.self_attn.q_proj}), shape {@code [n, in]}: the inputs that
     * module saw while running the adapter's kind of prompts.
     */
    public static Map<String, float[]> readCalibration(Path file) {
        Map<String, float[]> activations = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (TensorInfo info : f.tensors()) {
                if (info.rank() != 2) {
                    throw new MergeException(file + ": calibration tensor " + info.name() + " must be [n, in], not "
                            + java.util.Arrays.toString(info.shape()));
                }
                activations.put(info.name(), f.tensor(info.name()).toFloatArray());
            }
        }
        return activations;
    }

    /** Starts options for {@code method} writing to {@code out}. */
    public static Builder builder(SoupMethod method, Path out) {
        return new Builder(method, out);
    }

    /** Builder of {@link SoupOptions}. */
    public static final class Builder {
        private final SoupMethod method;
        private final Path out;
        private final List<WeightedAdapter> adapters = new ArrayList<>();
        private OptionalInt rank = OptionalInt.empty();
        private Double density;
        private MajoritySign majoritySign = MajoritySign.TOTAL;
        private long seed;
        private double lambda = ZipLoraObjective.DEFAULT_LAMBDA;
        private int steps = ZipLoraObjective.DEFAULT_STEPS;
        private final List<Map<String, float[]>> calibration = new ArrayList<>();
        private boolean overwrite;

        private Builder(SoupMethod method, Path out) {
            this.method = method;
            this.out = out;
        }

        /** Adds an input adapter with its weight. */
        public Builder adapter(Path directory, double weight) {
            adapters.add(new WeightedAdapter(directory, weight));
            return this;
        }

        /** Adds input adapters. */
        public Builder adapters(List<WeightedAdapter> more) {
            adapters.addAll(more);
            return this;
        }

        /** Sets the rank of {@code *svd} results. */
        public Builder rank(int value) {
            this.rank = OptionalInt.of(value);
            return this;
        }

        /** Sets the density of pruning methods. */
        public Builder density(double value) {
            this.density = value;
            return this;
        }

        /** Sets the TIES sign election. */
        public Builder majoritySign(MajoritySign value) {
            this.majoritySign = value;
            return this;
        }

        /** Sets DARE's seed. */
        public Builder seed(long value) {
            this.seed = value;
            return this;
        }

        /** Sets ZipLoRA's overlap penalty weight. */
        public Builder lambda(double value) {
            this.lambda = value;
            return this;
        }

        /** Sets ZipLoRA's number of Adam steps. */
        public Builder steps(int value) {
            this.steps = value;
            return this;
        }

        /** Adds the calibration activations of the next adapter (module name to {@code [n, in]} rows). */
        public Builder calibration(Map<String, float[]> activations) {
            calibration.add(Map.copyOf(activations));
            return this;
        }

        /** Replaces an existing, non-empty output directory instead of refusing it (default: refuse). */
        public Builder overwrite(boolean value) {
            this.overwrite = value;
            return this;
        }

        /** The options. */
        public SoupOptions build() {
            return new SoupOptions(method, adapters, out, rank, density, majoritySign, seed, lambda, steps, calibration,
                    overwrite);
        }
    }
}
