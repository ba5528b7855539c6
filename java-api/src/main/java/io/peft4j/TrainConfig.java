package io.peft4j;

import io.peft4j.hub.ModelRef;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Everything one training run needs: an immutable value, validated on construction (each problem is
 * a {@link TrainConfigException} naming the setting). Build it with {@link #builder()}.
 *
 * @param baseModel a local model directory (config, weights, tokenizer), or a Hugging Face Hub id
 *     ({@code owner/name[@revision]}, see {@link ModelRef}) that is downloaded when the job runs
 * @param data a JSONL file with {@code {"text"}}, {@code {"prompt","completion"}} or
 *     {@code {"messages":[...]}} records ({@code {"prompt","chosen","rejected"}} for DPO); null when
 *     {@link #records} are given
 * @param records in-memory records instead of a file: Java records or maps with the same fields
 *     (e.g. {@code record Example(String prompt, String completion)}); empty when {@code data} is given
 * @param outputDir where the adapter, {@code metrics.jsonl}, {@code train_config.json} and
 *     {@code checkpoints/} go
 * @param method the fine-tuning method
 * @param rank LoRA rank (target rank for AdaLoRA)
 * @param alpha LoRA alpha
 * @param dropout LoRA dropout, in [0, 1)
 * @param targets which modules get adapters
 * @param numVirtualTokens soft-prompt length for prompt tuning
 * @param learningRate peak learning rate
 * @param epochs passes over the data; ignored when {@code maxSteps > 0}
 * @param maxSteps optimizer steps, or 0 to train for {@code epochs}
 * @param batchSize examples per micro-batch
 * @param gradientAccumulation micro-batches per optimizer step
 * @param maxLength tokens per example (longer ones are truncated)
 * @param seed seeds adapter initialisation, data order and dropout
 * @param scheduler learning-rate schedule, as transformers names it ({@code linear}, {@code cosine}, ...)
 * @param warmupSteps linear warm-up steps
 * @param optimizer a transformers optimizer name, or null for the method's default
 *     ({@code paged_adamw_8bit} for QLoRA, {@code adamw_torch} otherwise)
 * @param completionOnlyLoss for prompt/completion and chat data, train on the completion or
 *     assistant turns only (prompt tokens get label -100)
 * @param evalData a JSONL file to evaluate on, or null
 * @param evalFraction share of the training data held out for evaluation when no {@code evalData}, in [0, 1)
 * @param evalSteps evaluate every this many steps; 0 evaluates once at the end (when there is eval data)
 * @param saveSteps checkpoint every this many steps; 0 checkpoints only on cancellation
 * @param resumeFrom a checkpoint directory ({@code outputDir/checkpoints/checkpoint-N}) to continue from, or null
 * @param device {@code auto} (CUDA when available) or {@code cpu}
 * @param dpoBase for {@link TrainMethod#DPO}: the adapter trained, one of {@link #DPO_BASES}
 * @param dpoBeta for {@link TrainMethod#DPO}: how strongly the policy is held near the reference, > 0
 * @param distributed several processes or machines through torchrun/accelerate, or null for one
 *     process in this JVM's embedded Python
 */
public record TrainConfig(Path baseModel, Path data, List<?> records, Path outputDir, TrainMethod method,
                          int rank, double alpha, double dropout, Targets targets, int numVirtualTokens,
                          double learningRate, double epochs, int maxSteps, int batchSize,
                          int gradientAccumulation, int maxLength, long seed, String scheduler,
                          int warmupSteps, String optimizer, boolean completionOnlyLoss, Path evalData,
                          double evalFraction, int evalSteps, int saveSteps, Path resumeFrom, String device,
                          TrainMethod dpoBase, double dpoBeta, Distributed distributed) {

    /** Learning-rate schedules transformers offers. */
    public static final Set<String> SCHEDULERS = Set.of("linear", "cosine", "cosine_with_restarts", "polynomial",
            "constant", "constant_with_warmup", "inverse_sqrt", "cosine_with_min_lr", "warmup_stable_decay");

    /** The adapters {@link TrainMethod#DPO} can train. */
    public static final Set<TrainMethod> DPO_BASES = Set.of(TrainMethod.LORA, TrainMethod.QLORA, TrainMethod.DORA,
            TrainMethod.RSLORA);

    /** Validates every setting. */
    public TrainConfig {
        require(baseModel != null, "base model is required");
        require(Files.isDirectory(baseModel) || ModelRef.isHubId(baseModel.toString()), baseModel + ": base model directory not found");
        require(!Files.isDirectory(baseModel) || Files.isRegularFile(baseModel.resolve("config.json")),
                baseModel + ": not a model directory (no config.json)");
        records = records == null ? List.of() : List.copyOf(records);
        require(data != null || !records.isEmpty(), "training data is required (a JSONL file or records)");
        require(data == null || records.isEmpty(), "give either a data file or records, not both");
        require(data == null || Files.isRegularFile(data), data + ": data file not found");
        for (Object record : records) {
            require(record instanceof Record || record instanceof Map<?, ?>,
                    "records must be Java records or maps, found " + record.getClass().getName());
        }
        require(outputDir != null, "output directory is required");
        require(!Files.isRegularFile(outputDir), outputDir + ": output directory is a file");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(targets, "targets");
        require(rank > 0, "rank must be > 0, got " + rank);
        require(alpha > 0, "alpha must be > 0, got " + alpha);
        require(dropout >= 0 && dropout < 1, "dropout must be in [0, 1), got " + dropout);
        require(numVirtualTokens > 0, "virtual tokens must be > 0, got " + numVirtualTokens);
        require(learningRate > 0, "learning rate must be > 0, got " + learningRate);
        require(maxSteps >= 0, "max steps must be >= 0, got " + maxSteps);
        require(maxSteps > 0 || epochs > 0, "epochs must be > 0 when max steps is not set, got " + epochs);
        require(batchSize > 0, "batch size must be > 0, got " + batchSize);
        require(gradientAccumulation > 0, "gradient accumulation must be > 0, got " + gradientAccumulation);
        require(maxLength > 1, "max length must be > 1, got " + maxLength);
        require(SCHEDULERS.contains(scheduler), "unknown scheduler '" + scheduler + "'; known: " + String.join(", ", SCHEDULERS.stream().sorted().toList()));
        require(warmupSteps >= 0, "warmup steps must be >= 0, got " + warmupSteps);
        require(evalData == null || Files.isRegularFile(evalData), evalData + ": eval data file not found");
        require(evalFraction >= 0 && evalFraction < 1, "eval fraction must be in [0, 1), got " + evalFraction);
        require(evalSteps >= 0, "eval steps must be >= 0, got " + evalSteps);
        require(saveSteps >= 0, "save steps must be >= 0, got " + saveSteps);
        require(resumeFrom == null || Files.isRegularFile(resumeFrom.resolve("trainer_state.json")),
                resumeFrom + ": not a training checkpoint (no trainer_state.json)");
        require("auto".equals(device) || "cpu".equals(device), "device must be auto or cpu, got " + device);
        require(optimizer == null || !optimizer.isBlank(), "optimizer name is blank");
        require(DPO_BASES.contains(dpoBase), "dpo base must be lora, qlora, dora or rslora, got " + dpoBase);
        require(dpoBeta > 0, "dpo beta must be > 0, got " + dpoBeta);
    }

    /** A builder with the defaults: LoRA, rank 8, alpha 16, dropout 0.05, lr 2e-4, one epoch, batch 4. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values, to derive a variant (e.g. a resumed run). */
    public Builder toBuilder() {
        return new Builder(this);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new TrainConfigException(message);
        }
    }

    /**
     * Which modules get adapters: PEFT's default for the architecture, every linear layer except the
     * output head, a regular expression matched against full module names, or module-name suffixes.
     *
     * @param isAllLinear PEFT's {@code all-linear}
     * @param regex a pattern PEFT full-matches against module names, or null
     * @param names module names such as {@code q_proj}, or empty
     */
    public record Targets(boolean isAllLinear, String regex, List<String> names) {

        /** Validates: at most one kind, a regex that compiles, names without blanks. */
        public Targets {
            names = names == null ? List.of() : List.copyOf(names);
            int kinds = (isAllLinear ? 1 : 0) + (regex != null ? 1 : 0) + (names.isEmpty() ? 0 : 1);
            require(kinds <= 1, "targets: give all-linear, a regex or names, not several");
            require(names.stream().noneMatch(String::isBlank), "targets: blank module name");
            if (regex != null) {
                try {
                    Pattern.compile(regex);
                } catch (PatternSyntaxException e) {
                    throw new TrainConfigException("targets: invalid regex '" + regex + "': " + e.getDescription());
                }
            }
        }

        /** PEFT's default target modules for the model's architecture. */
        public static Targets defaults() {
            return new Targets(false, null, List.of());
        }

        /** Every linear layer except the output head. */
        public static Targets allLinear() {
            return new Targets(true, null, List.of());
        }

        /** Modules whose names end with one of {@code names}, e.g. {@code q_proj}, {@code v_proj}. */
        public static Targets names(String... names) {
            require(names.length > 0, "targets: no module names");
            return new Targets(false, null, List.of(names));
        }

        /** Modules whose full name matches {@code regex} entirely. */
        public static Targets regex(String regex) {
            return new Targets(false, regex, List.of());
        }

        /**
         * Parses the CLI form: {@code all-linear}, a comma-separated list of names, or a regex
         * (anything with characters other than letters, digits, {@code _}, {@code -}, {@code .} and commas).
         */
        public static Targets parse(String text) {
            String trimmed = text.strip();
            if (trimmed.equals("all-linear")) {
                return allLinear();
            }
            if (trimmed.matches("[A-Za-z0-9_.,\\- ]+")) {
                return names(Arrays.stream(trimmed.split(",")).map(String::strip)
                        .filter(s -> !s.isEmpty()).toArray(String[]::new));
            }
            return regex(trimmed);
        }

        /** The value PEFT's {@code target_modules} takes: null, {@code "all-linear"}, the regex, or the names. */
        public Object peftValue() {
            if (isAllLinear) {
                return "all-linear";
            }
            return regex != null ? regex : names.isEmpty() ? null : names;
        }
    }

    /** Collects settings; {@link #build()} validates them. */
    public static final class Builder {
        private Path baseModel;
        private Path data;
        private List<?> records = List.of();
        private Path outputDir;
        private TrainMethod method = TrainMethod.LORA;
        private int rank = 8;
        private double alpha = 16;
        private double dropout = 0.05;
        private Targets targets = Targets.defaults();
        private int numVirtualTokens = 8;
        private double learningRate = 2e-4;
        private double epochs = 1;
        private int maxSteps;
        private int batchSize = 4;
        private int gradientAccumulation = 1;
        private int maxLength = 512;
        private long seed = 42;
        private String scheduler = "linear";
        private int warmupSteps;
        private String optimizer;
        private boolean completionOnlyLoss = true;
        private Path evalData;
        private double evalFraction;
        private int evalSteps;
        private int saveSteps;
        private Path resumeFrom;
        private String device = "auto";
        private TrainMethod dpoBase = TrainMethod.LORA;
        private double dpoBeta = 0.1;
        private Distributed distributed;

        private Builder() {}

        private Builder(TrainConfig c) {
            baseModel = c.baseModel; data = c.data; records = c.records; outputDir = c.outputDir; method = c.method;
            rank = c.rank; alpha = c.alpha; dropout = c.dropout; targets = c.targets; numVirtualTokens = c.numVirtualTokens;
            learningRate = c.learningRate; epochs = c.epochs; maxSteps = c.maxSteps; batchSize = c.batchSize;
            gradientAccumulation = c.gradientAccumulation; maxLength = c.maxLength; seed = c.seed;
            scheduler = c.scheduler; warmupSteps = c.warmupSteps; optimizer = c.optimizer;
            completionOnlyLoss = c.completionOnlyLoss; evalData = c.evalData; evalFraction = c.evalFraction;
            evalSteps = c.evalSteps; saveSteps = c.saveSteps; resumeFrom = c.resumeFrom; device = c.device;
            dpoBase = c.dpoBase; dpoBeta = c.dpoBeta; distributed = c.distributed;
        }

        /** The base model: a local directory with config, weights and tokenizer. */
        public Builder baseModel(Path dir) { this.baseModel = dir; return this; }

        /**
         * The base model as a local directory or a Hugging Face Hub id ({@code owner/name[@revision]},
         * told apart by {@link ModelRef}); a Hub id is downloaded into the shared Hugging Face cache
         * when the job runs, not here.
         */
        public Builder baseModel(String directoryOrHubId) {
            this.baseModel = Path.of(directoryOrHubId);
            return this;
        }

        /** Training data: a JSONL file (clears any records). */
        public Builder data(Path jsonl) { this.data = jsonl; this.records = List.of(); return this; }

        /** Training data: Java records or maps with text, prompt/completion or messages fields (clears any file). */
        public Builder records(List<?> records) { this.records = records; this.data = null; return this; }

        /** Where the adapter and its metrics are written. */
        public Builder outputDir(Path dir) { this.outputDir = dir; return this; }

        /** The fine-tuning method. */
        public Builder method(TrainMethod method) { this.method = method; return this; }

        /** The fine-tuning method by name ({@code lora}, {@code qlora}, ...). */
        public Builder method(String name) { this.method = TrainMethod.parse(name); return this; }

        /** LoRA rank (target rank for AdaLoRA). */
        public Builder rank(int rank) { this.rank = rank; return this; }

        /** LoRA alpha. */
        public Builder alpha(double alpha) { this.alpha = alpha; return this; }

        /** LoRA dropout. */
        public Builder dropout(double dropout) { this.dropout = dropout; return this; }

        /** Which modules get adapters. */
        public Builder targets(Targets targets) { this.targets = targets; return this; }

        /** Soft-prompt length for prompt tuning. */
        public Builder numVirtualTokens(int n) { this.numVirtualTokens = n; return this; }

        /** Peak learning rate. */
        public Builder learningRate(double lr) { this.learningRate = lr; return this; }

        /** Passes over the data (used when max steps is 0). */
        public Builder epochs(double epochs) { this.epochs = epochs; return this; }

        /** Optimizer steps; overrides epochs when > 0. */
        public Builder maxSteps(int steps) { this.maxSteps = steps; return this; }

        /** Examples per micro-batch. */
        public Builder batchSize(int size) { this.batchSize = size; return this; }

        /** Micro-batches per optimizer step. */
        public Builder gradientAccumulation(int steps) { this.gradientAccumulation = steps; return this; }

        /** Tokens per example. */
        public Builder maxLength(int tokens) { this.maxLength = tokens; return this; }

        /** Random seed. */
        public Builder seed(long seed) { this.seed = seed; return this; }

        /** Learning-rate schedule and linear warm-up steps. */
        public Builder scheduler(String name, int warmupSteps) { this.scheduler = name; this.warmupSteps = warmupSteps; return this; }

        /** A transformers optimizer name, or null for the method's default. */
        public Builder optimizer(String name) { this.optimizer = name; return this; }

        /** Train on completions / assistant turns only (default true). */
        public Builder completionOnlyLoss(boolean on) { this.completionOnlyLoss = on; return this; }

        /** A JSONL file to evaluate on. */
        public Builder evalData(Path jsonl) { this.evalData = jsonl; return this; }

        /** Share of the training data held out for evaluation. */
        public Builder evalFraction(double fraction) { this.evalFraction = fraction; return this; }

        /** Evaluate every this many steps (0: at the end only). */
        public Builder evalSteps(int steps) { this.evalSteps = steps; return this; }

        /** Checkpoint every this many steps (0: only on cancellation). */
        public Builder saveSteps(int steps) { this.saveSteps = steps; return this; }

        /** Continue from a checkpoint directory. */
        public Builder resumeFrom(Path checkpoint) { this.resumeFrom = checkpoint; return this; }

        /** {@code auto} or {@code cpu}. */
        public Builder device(String device) { this.device = device; return this; }

        /** For DPO: the adapter trained (LoRA by default) and beta (0.1 by default). */
        public Builder dpo(TrainMethod base, double beta) { this.dpoBase = base; this.dpoBeta = beta; return this; }

        /** Train with several processes or machines (null: one process, in this JVM). */
        public Builder distributed(Distributed distributed) { this.distributed = distributed; return this; }

        /**
         * The validated configuration.
         *
         * @throws TrainConfigException naming the first setting that cannot work
         */
        public TrainConfig build() {
            return new TrainConfig(baseModel, data, records, outputDir, method, rank, alpha, dropout, targets,
                    numVirtualTokens, learningRate, epochs, maxSteps, batchSize, gradientAccumulation, maxLength,
                    seed, scheduler, warmupSteps, optimizer, completionOnlyLoss, evalData, evalFraction,
                    evalSteps, saveSteps, resumeFrom, device, dpoBase, dpoBeta, distributed);
        }
    }
}
