package io.peft4j;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.peft4j.hub.ModelRef;
import io.peft4j.tuning.Targets;
import io.peft4j.tuning.TrainMethod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Everything one training run needs: an immutable value, validated on construction (each problem is
 * a {@link TrainConfigException} naming the setting). Build it with {@link #builder()}; every default
 * is in {@link #DEFAULTS}, the one place the API, the CLI and the Python bridge take them from.
 *
 * <p>It is also the {@code config} the Python bridge receives (snake_case keys, every one present):
 * the data, the records, the distribution and the overwrite policy are handled in Java and do not cross.
 *
 * @param baseModel a local model directory (config, weights, tokenizer), or a Hugging Face Hub id
 *     ({@code owner/name[@revision]}, see {@link ModelRef}) that is downloaded when the job runs
 * @param data a JSONL file with {@code {"text"}}, {@code {"prompt","completion"}} or
 *     {@code {"messages":[...]}} records ({@code {"prompt","chosen","rejected"}} for DPO); empty when
 *     {@link #records} are given
 * @param records in-memory records instead of a file: Java records or maps with the same fields
 *     (e.g. {@code record Example(String prompt, String completion)}); empty when {@code data} is given
 * @param outputDir where the adapter, {@code metrics.jsonl}, {@code train_config.json} and
 *     {@code checkpoints/} go; it must be empty or absent unless {@code overwrite} is set or the run
 *     resumes from one of its own checkpoints
 * @param method the fine-tuning method (every one but {@link TrainMethod#FULL})
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
 * @param weightDecay AdamW weight decay
 * @param maxGradNorm gradients are clipped to this norm
 * @param optimizer a transformers optimizer name; the builder's default is the method's
 *     ({@link TrainMethod#defaultOptimizer()}: {@code paged_adamw_8bit} for QLoRA, {@code adamw_torch} otherwise)
 * @param completionOnlyLoss for prompt/completion and chat data, train on the completion or
 *     assistant turns only (prompt tokens get label -100)
 * @param evalData a JSONL file to evaluate on
 * @param evalFraction share of the training data held out for evaluation when no {@code evalData}, in [0, 1)
 * @param evalSteps evaluate every this many steps; 0 evaluates once at the end (when there is eval data)
 * @param saveSteps checkpoint every this many steps; 0 checkpoints only on cancellation
 * @param resumeFrom a checkpoint directory ({@code outputDir/checkpoints/checkpoint-N}) to continue from
 * @param device {@code auto} (CUDA when available) or {@code cpu}
 * @param dpoBase for {@link TrainMethod#DPO}: the adapter trained, a LoRA kind ({@link TrainMethod#isLoraKind()})
 * @param dpoBeta for {@link TrainMethod#DPO}: how strongly the policy is held near the reference, > 0
 * @param distributed several processes or machines through torchrun/accelerate; empty for one
 *     process in this JVM's embedded Python
 * @param overwrite whether training may replace a non-empty {@code outputDir}: it is emptied when
 *     training starts (never when it holds an input, such as the data)
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TrainConfig(Path baseModel, @JsonIgnore Optional<Path> data, @JsonIgnore List<?> records, Path outputDir,
                          TrainMethod method, int rank, double alpha, double dropout, Targets targets,
                          int numVirtualTokens, double learningRate, double epochs, int maxSteps, int batchSize,
                          int gradientAccumulation, int maxLength, long seed, String scheduler, int warmupSteps,
                          double weightDecay, double maxGradNorm, String optimizer, boolean completionOnlyLoss,
                          @JsonIgnore Optional<Path> evalData, double evalFraction, int evalSteps, int saveSteps,
                          Optional<Path> resumeFrom, String device, TrainMethod dpoBase, double dpoBeta,
                          @JsonIgnore Optional<Distributed> distributed, @JsonIgnore boolean overwrite) {

    /**
     * The defaults of every setting that has one.
     *
     * @param method LoRA
     * @param rank 8
     * @param alpha 16
     * @param dropout 0.05
     * @param targets PEFT's default for the architecture
     * @param numVirtualTokens 8
     * @param learningRate 2e-4
     * @param epochs 1
     * @param maxSteps 0 (train for {@code epochs})
     * @param batchSize 4
     * @param gradientAccumulation 1
     * @param maxLength 512
     * @param seed 42
     * @param scheduler {@code linear}
     * @param warmupSteps 0
     * @param weightDecay 0
     * @param maxGradNorm 1
     * @param completionOnlyLoss true
     * @param evalFraction 0
     * @param evalSteps 0 (evaluate at the end)
     * @param saveSteps 0 (checkpoint only when cancelled)
     * @param device {@code auto}
     * @param dpoBase LoRA
     * @param dpoBeta 0.1
     */
    public record Defaults(TrainMethod method, int rank, double alpha, double dropout, Targets targets,
                           int numVirtualTokens, double learningRate, double epochs, int maxSteps, int batchSize,
                           int gradientAccumulation, int maxLength, long seed, String scheduler, int warmupSteps,
                           double weightDecay, double maxGradNorm, boolean completionOnlyLoss, double evalFraction,
                           int evalSteps, int saveSteps, String device, TrainMethod dpoBase, double dpoBeta) {}

    /** The defaults, in one place: the builder, the CLI and (through the builder) Python take them from here. */
    public static final Defaults DEFAULTS = new Defaults(TrainMethod.LORA, 8, 16, 0.05, Targets.peftDefault(), 8, 2e-4,
            1, 0, 4, 1, 512, 42, "linear", 0, 0, 1, true, 0, 0, 0, "auto", TrainMethod.LORA, 0.1);

    /** Learning-rate schedules transformers offers. */
    public static final Set<String> SCHEDULERS = Set.of("linear", "cosine", "cosine_with_restarts", "polynomial",
            "constant", "constant_with_warmup", "inverse_sqrt", "cosine_with_min_lr", "warmup_stable_decay");

    /** Validates every setting. */
    public TrainConfig {
        require(baseModel != null, "base model is required");
        require(Files.isDirectory(baseModel) || ModelRef.isHubId(baseModel.toString()), baseModel + ": base model directory not found");
        require(!Files.isDirectory(baseModel) || Files.isRegularFile(baseModel.resolve("config.json")),
                baseModel + ": not a model directory (no config.json)");
        data = data == null ? Optional.empty() : data;
        records = records == null ? List.of() : List.copyOf(records);
        require(data.isPresent() || !records.isEmpty(), "training data is required (a JSONL file or records)");
        require(data.isEmpty() || records.isEmpty(), "give either a data file or records, not both");
        require(data.isEmpty() || Files.isRegularFile(data.get()), data.map(d -> d + ": data file not found").orElse(""));
        for (Object record : records) {
            require(record instanceof Record || record instanceof Map<?, ?>,
                    "records must be Java records or maps, found " + record.getClass().getName());
        }
        require(outputDir != null, "output directory is required");
        require(!Files.isRegularFile(outputDir), outputDir + ": output directory is a file");
        Objects.requireNonNull(method, "method");
        require(method.isAdapter(), "method full trains every weight, which peft4j does not do (it trains adapters);"
                + " 'peft4j estimate' covers it");
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
        require(weightDecay >= 0, "weight decay must be >= 0, got " + weightDecay);
        require(maxGradNorm > 0, "max grad norm must be > 0, got " + maxGradNorm);
        evalData = evalData == null ? Optional.empty() : evalData;
        require(evalData.isEmpty() || Files.isRegularFile(evalData.get()), evalData.map(d -> d + ": eval data file not found").orElse(""));
        require(evalFraction >= 0 && evalFraction < 1, "eval fraction must be in [0, 1), got " + evalFraction);
        require(evalSteps >= 0, "eval steps must be >= 0, got " + evalSteps);
        require(saveSteps >= 0, "save steps must be >= 0, got " + saveSteps);
        resumeFrom = resumeFrom == null ? Optional.empty() : resumeFrom;
        require(resumeFrom.isEmpty() || Files.isRegularFile(resumeFrom.get().resolve("trainer_state.json")),
                resumeFrom.map(r -> r + ": not a training checkpoint (no trainer_state.json)").orElse(""));
        require("auto".equals(device) || "cpu".equals(device), "device must be auto or cpu, got " + device);
        Objects.requireNonNull(dpoBase, "dpo base");
        require(dpoBase.isLoraKind(), "dpo base must be lora, qlora, dora or rslora, got " + dpoBase);
        require(dpoBeta > 0, "dpo beta must be > 0, got " + dpoBeta);
        optimizer = optimizer == null ? adapterMethod(method, dpoBase).defaultOptimizer() : optimizer;
        require(!optimizer.isBlank(), "optimizer name is blank");
        distributed = distributed == null ? Optional.empty() : distributed;
    }

    /** A builder with the {@link #DEFAULTS}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values, to derive a variant (e.g. a resumed run). */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** The method whose adapter is trained: {@link #dpoBase} for DPO, else {@link #method}. */
    public TrainMethod adapterMethod() {
        return adapterMethod(method, dpoBase);
    }

    private static TrainMethod adapterMethod(TrainMethod method, TrainMethod dpoBase) {
        return method == TrainMethod.DPO ? dpoBase : method;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new TrainConfigException(message);
        }
    }

    /** Collects settings, starting from {@link #DEFAULTS}; {@link #build()} validates them. */
    public static final class Builder {
        private Path baseModel;
        private Path data;
        private List<?> records = List.of();
        private Path outputDir;
        private TrainMethod method = DEFAULTS.method();
        private int rank = DEFAULTS.rank();
        private double alpha = DEFAULTS.alpha();
        private double dropout = DEFAULTS.dropout();
        private Targets targets = DEFAULTS.targets();
        private int numVirtualTokens = DEFAULTS.numVirtualTokens();
        private double learningRate = DEFAULTS.learningRate();
        private double epochs = DEFAULTS.epochs();
        private int maxSteps = DEFAULTS.maxSteps();
        private int batchSize = DEFAULTS.batchSize();
        private int gradientAccumulation = DEFAULTS.gradientAccumulation();
        private int maxLength = DEFAULTS.maxLength();
        private long seed = DEFAULTS.seed();
        private String scheduler = DEFAULTS.scheduler();
        private int warmupSteps = DEFAULTS.warmupSteps();
        private double weightDecay = DEFAULTS.weightDecay();
        private double maxGradNorm = DEFAULTS.maxGradNorm();
        private String optimizer; // null: the method's default
        private boolean completionOnlyLoss = DEFAULTS.completionOnlyLoss();
        private Path evalData;
        private double evalFraction = DEFAULTS.evalFraction();
        private int evalSteps = DEFAULTS.evalSteps();
        private int saveSteps = DEFAULTS.saveSteps();
        private Path resumeFrom;
        private String device = DEFAULTS.device();
        private TrainMethod dpoBase = DEFAULTS.dpoBase();
        private double dpoBeta = DEFAULTS.dpoBeta();
        private Distributed distributed;
        private boolean overwrite;

        private Builder() {}

        private Builder(TrainConfig c) {
            baseModel = c.baseModel; data = c.data.orElse(null); records = c.records; outputDir = c.outputDir;
            method = c.method; rank = c.rank; alpha = c.alpha; dropout = c.dropout; targets = c.targets;
            numVirtualTokens = c.numVirtualTokens; learningRate = c.learningRate; epochs = c.epochs;
            maxSteps = c.maxSteps; batchSize = c.batchSize; gradientAccumulation = c.gradientAccumulation;
            maxLength = c.maxLength; seed = c.seed; scheduler = c.scheduler; warmupSteps = c.warmupSteps;
            weightDecay = c.weightDecay; maxGradNorm = c.maxGradNorm;
            optimizer = c.optimizer.equals(c.adapterMethod().defaultOptimizer()) ? null : c.optimizer;
            completionOnlyLoss = c.completionOnlyLoss; evalData = c.evalData.orElse(null);
            evalFraction = c.evalFraction; evalSteps = c.evalSteps; saveSteps = c.saveSteps;
            resumeFrom = c.resumeFrom.orElse(null); device = c.device; dpoBase = c.dpoBase; dpoBeta = c.dpoBeta;
            distributed = c.distributed.orElse(null); overwrite = c.overwrite;
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

        /** AdamW weight decay. */
        public Builder weightDecay(double decay) { this.weightDecay = decay; return this; }

        /** Gradient clipping norm. */
        public Builder maxGradNorm(double norm) { this.maxGradNorm = norm; return this; }

        /** A transformers optimizer name, or null for the method's default. */
        public Builder optimizer(String name) { this.optimizer = name; return this; }

        /** Train on completions / assistant turns only (default true). */
        public Builder completionOnlyLoss(boolean on) { this.completionOnlyLoss = on; return this; }

        /** A JSONL file to evaluate on, or null for none. */
        public Builder evalData(Path jsonl) { this.evalData = jsonl; return this; }

        /** Share of the training data held out for evaluation. */
        public Builder evalFraction(double fraction) { this.evalFraction = fraction; return this; }

        /** Evaluate every this many steps (0: at the end only). */
        public Builder evalSteps(int steps) { this.evalSteps = steps; return this; }

        /** Checkpoint every this many steps (0: only on cancellation). */
        public Builder saveSteps(int steps) { this.saveSteps = steps; return this; }

        /** Continue from a checkpoint directory, or null to start afresh. */
        public Builder resumeFrom(Path checkpoint) { this.resumeFrom = checkpoint; return this; }

        /** {@code auto} or {@code cpu}. */
        public Builder device(String device) { this.device = device; return this; }

        /** For DPO: the adapter trained (LoRA by default) and beta (0.1 by default). */
        public Builder dpo(TrainMethod base, double beta) { this.dpoBase = base; this.dpoBeta = beta; return this; }

        /** Train with several processes or machines (null: one process, in this JVM). */
        public Builder distributed(Distributed distributed) { this.distributed = distributed; return this; }

        /**
         * Whether training may replace a non-empty output directory (default false: such a directory is
         * refused, as every peft4j writer refuses one, unless the run resumes from one of its
         * checkpoints). With true, the directory is emptied when training starts; one that holds an
         * input (the data, the base model, the checkpoint resumed from) is refused even then.
         */
        public Builder overwrite(boolean overwrite) { this.overwrite = overwrite; return this; }

        /**
         * The validated configuration.
         *
         * @throws TrainConfigException naming the first setting that cannot work
         */
        public TrainConfig build() {
            return new TrainConfig(baseModel, Optional.ofNullable(data), records, outputDir, method, rank, alpha,
                    dropout, targets, numVirtualTokens, learningRate, epochs, maxSteps, batchSize,
                    gradientAccumulation, maxLength, seed, scheduler, warmupSteps, weightDecay, maxGradNorm, optimizer,
                    completionOnlyLoss, Optional.ofNullable(evalData), evalFraction, evalSteps, saveSteps,
                    Optional.ofNullable(resumeFrom), device, dpoBase, dpoBeta, Optional.ofNullable(distributed),
                    overwrite);
        }
    }
}
