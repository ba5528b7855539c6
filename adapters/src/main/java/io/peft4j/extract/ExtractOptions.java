package io.peft4j.extract;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * What {@link AdapterExtractor#extract} does. Build with {@link #fromModels(Path, Path, Path)} (the
 * task vector {@code TUNED - BASE}) or {@link #fromAdapter(Path, Path)} (re-factor an adapter).
 *
 * @param base            the base model directory; for {@code fromAdapter} only needed by DoRA adapters
 * @param tuned           the fine-tuned model directory (empty when re-factoring an adapter)
 * @param adapter         the adapter to re-factor (empty when extracting from models)
 * @param out             the adapter directory to create; must not exist or be empty unless {@code overwrite}
 * @param maxRank         the largest rank of any module
 * @param energy          per module, keep the smallest rank holding this fraction of the update's
 *                        squared Frobenius norm (capped by {@code maxRank}); empty: every module at {@code maxRank}
 * @param targets         which linear modules to extract
 * @param modulesToSave   modules saved whole from TUNED (e.g. {@code embed_tokens} after a vocabulary change)
 * @param exclude         modules never extracted, a regular expression over the whole module name
 * @param exact           use the full SVD instead of the randomized range finder
 * @param oversampling    extra sketch columns of the randomized range finder
 * @param powerIterations power iterations of the randomized range finder
 * @param seed            seed of the Gaussian sketches (each module's is derived from it and the module name)
 * @param threads         modules decomposed at once
 * @param uniformRank     pad every module with zeros to {@code r} so the config has no rank/alpha
 *                        patterns (for servers that refuse them, such as vLLM)
 * @param baseModelName   {@code base_model_name_or_path} of the result (default: the base as given)
 * @param listener        told after each module
 * @param overwrite       replace an existing output (see {@link io.peft4j.output.OutputPolicy})
 */
public record ExtractOptions(Optional<Path> base, Optional<Path> tuned, Optional<Path> adapter, Path out, int maxRank,
                             OptionalDouble energy, ModuleSelection targets, List<String> modulesToSave,
                             Optional<Pattern> exclude, boolean exact, int oversampling, int powerIterations, long seed,
                             int threads, boolean uniformRank, Optional<String> baseModelName, ExtractListener listener,
                             boolean overwrite) {

    /** The default maximum rank. */
    public static final int DEFAULT_RANK = 16;

    /** Checks the options. */
    public ExtractOptions {
        modulesToSave = List.copyOf(modulesToSave);
        if (adapter.isEmpty() && (base.isEmpty() || tuned.isEmpty())) {
            throw new ExtractException("extraction needs a base and a tuned model, or an adapter to re-factor");
        }
        if (adapter.isPresent() && tuned.isPresent()) {
            throw new ExtractException("give either a tuned model or an adapter to re-factor, not both");
        }
        if (maxRank <= 0) {
            throw new ExtractException("--rank must be positive, got " + maxRank);
        }
        if (energy.isPresent() && !(energy.getAsDouble() > 0 && energy.getAsDouble() <= 1)) {
            throw new ExtractException("--energy must be a fraction in (0, 1], got " + energy.getAsDouble());
        }
        if (oversampling < 0 || powerIterations < 0 || powerIterations > 20) {
            throw new ExtractException("oversampling must be >= 0 and power iterations in 0..20");
        }
        if (threads <= 0) {
            throw new ExtractException("threads must be positive, got " + threads);
        }
    }

    /** Options extracting {@code tuned - base} into {@code out}. */
    public static Builder fromModels(Path base, Path tuned, Path out) {
        return new Builder(Optional.of(base), Optional.of(tuned), Optional.empty(), out);
    }

    /** Options re-factoring the adapter in {@code adapter} into a plain LoRA in {@code out} (DoRA also needs {@link Builder#base}). */
    public static Builder fromAdapter(Path adapter, Path out) {
        return new Builder(Optional.empty(), Optional.empty(), Optional.of(adapter), out);
    }

    /** Builder of {@link ExtractOptions}. */
    public static final class Builder {
        private Optional<Path> base;
        private final Optional<Path> tuned;
        private final Optional<Path> adapter;
        private final Path out;
        private int maxRank = DEFAULT_RANK;
        private OptionalDouble energy = OptionalDouble.empty();
        private ModuleSelection targets = ModuleSelection.allLinear();
        private List<String> modulesToSave = List.of();
        private Optional<Pattern> exclude = Optional.empty();
        private boolean exact;
        private int oversampling = 10;
        private int powerIterations = 2;
        private long seed;
        private int threads = Runtime.getRuntime().availableProcessors();
        private boolean uniformRank;
        private Optional<String> baseModelName = Optional.empty();
        private ExtractListener listener = ExtractListener.NONE;
        private boolean overwrite;

        private Builder(Optional<Path> base, Optional<Path> tuned, Optional<Path> adapter, Path out) {
            this.base = base;
            this.tuned = tuned;
            this.adapter = adapter;
            this.out = out;
        }

        /** The base model (for re-factoring a DoRA adapter, whose update depends on the base weights). */
        public Builder base(Path base) {
            this.base = Optional.of(base);
            return this;
        }

        /** The largest rank (default {@value ExtractOptions#DEFAULT_RANK}). */
        public Builder maxRank(int maxRank) {
            this.maxRank = maxRank;
            return this;
        }

        /** Per module, the smallest rank keeping this fraction of the update's energy. */
        public Builder energy(double fraction) {
            this.energy = OptionalDouble.of(fraction);
            return this;
        }

        /** Which linear modules (default all-linear). */
        public Builder targets(ModuleSelection targets) {
            this.targets = targets;
            return this;
        }

        /** Modules saved whole from the tuned model. */
        public Builder modulesToSave(List<String> modules) {
            this.modulesToSave = modules;
            return this;
        }

        /** Modules never extracted: a regular expression over the whole module name. */
        public Builder exclude(String regex) {
            try {
                this.exclude = Optional.of(Pattern.compile(regex));
            } catch (PatternSyntaxException e) {
                throw new ExtractException("--exclude: invalid regular expression '" + regex + "': " + e.getDescription(), e);
            }
            return this;
        }

        /** The full SVD instead of the randomized range finder. */
        public Builder exact(boolean exact) {
            this.exact = exact;
            return this;
        }

        /** Extra sketch columns (default 10). */
        public Builder oversampling(int columns) {
            this.oversampling = columns;
            return this;
        }

        /** Power iterations (default 2). */
        public Builder powerIterations(int iterations) {
            this.powerIterations = iterations;
            return this;
        }

        /** The seed of the sketches (default 0). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Modules decomposed at once (default: the available processors). */
        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        /** Pad every module to the largest rank so the config has no patterns. */
        public Builder uniformRank(boolean uniform) {
            this.uniformRank = uniform;
            return this;
        }

        /** {@code base_model_name_or_path} of the result, e.g. the Hub id the base came from. */
        public Builder baseModelName(String name) {
            this.baseModelName = Optional.of(name);
            return this;
        }

        /** Told after each module. */
        public Builder listener(ExtractListener listener) {
            this.listener = listener;
            return this;
        }

        /** Whether an existing, non-empty output folder is replaced instead of refused. */
        public Builder overwrite(boolean overwrite) {
            this.overwrite = overwrite;
            return this;
        }

        /** The options. */
        public ExtractOptions build() {
            return new ExtractOptions(base, tuned, adapter, out, maxRank, energy, targets, modulesToSave, exclude, exact,
                    oversampling, powerIterations, seed, threads, uniformRank, baseModelName, listener, overwrite);
        }
    }
}
