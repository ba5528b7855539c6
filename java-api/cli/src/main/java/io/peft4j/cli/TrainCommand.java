package io.peft4j.cli;

import io.peft4j.Distributed;
import io.peft4j.Peft;
import io.peft4j.TrainConfig;
import io.peft4j.TrainResult;
import io.peft4j.TrainingHandle;
import io.peft4j.tuning.Targets;
import io.peft4j.tuning.TrainMethod;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code peft4j train}: fine-tunes an adapter on a local base model with a live progress line.
 * Ctrl-C stops after the current step and leaves a resumable checkpoint.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Fine-tune an adapter (lora, qlora, dora, rslora, adalora, ia3, prompt_tuning, dpo) on a base model.")
public final class TrainCommand implements Callable<Integer> {

    /** Created by picocli. */
    public TrainCommand() {}

    @Spec
    CommandSpec spec;

    @Option(names = "--base", required = true, paramLabel = "DIR|HUB_ID", description = "Base model: a directory or a Hub id (owner/name[@revision]).")
    String base;

    @Option(names = "--data", required = true, paramLabel = "FILE",
            description = "JSONL with {\"text\"}, {\"prompt\",\"completion\"} or {\"messages\":[...]} records ({\"prompt\",\"chosen\",\"rejected\"} for dpo).")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory for the adapter, metrics and checkpoints.")
    Path out;

    @Mixin
    OverwriteOption overwrite;

    // Defaults come from TrainConfig.DEFAULTS (picocli shows a field's initial value as ${DEFAULT-VALUE}).
    @Option(names = "--method", paramLabel = "NAME",
            description = "lora, qlora, dora, rslora, adalora, ia3, prompt_tuning or dpo (default: ${DEFAULT-VALUE}).")
    String method = TrainConfig.DEFAULTS.method().id();

    @Option(names = "--rank", description = "LoRA rank (default: ${DEFAULT-VALUE}).")
    int rank = TrainConfig.DEFAULTS.rank();

    @Option(names = "--alpha", description = "LoRA alpha (default: ${DEFAULT-VALUE}).")
    double alpha = TrainConfig.DEFAULTS.alpha();

    @Option(names = "--dropout", description = "LoRA dropout (default: ${DEFAULT-VALUE}).")
    double dropout = TrainConfig.DEFAULTS.dropout();

    @Option(names = "--targets", paramLabel = "LIST|all-linear|REGEX",
            description = "Target modules: comma-separated names, all-linear, or a regex (default: PEFT's choice for the architecture).")
    String targets;

    @Option(names = "--virtual-tokens", description = "Soft-prompt length for prompt_tuning (default: ${DEFAULT-VALUE}).")
    int virtualTokens = TrainConfig.DEFAULTS.numVirtualTokens();

    @ArgGroup(exclusive = true)
    Length length = new Length();

    /** How long to train: steps or epochs, not both. */
    static final class Length {
        @Option(names = "--max-steps", paramLabel = "N", description = "Optimizer steps.")
        int maxSteps = TrainConfig.DEFAULTS.maxSteps();

        @Option(names = "--epochs", paramLabel = "E", description = "Passes over the data (default: ${DEFAULT-VALUE}).")
        double epochs = TrainConfig.DEFAULTS.epochs();
    }

    @Option(names = "--lr", description = "Learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate = TrainConfig.DEFAULTS.learningRate();

    @Option(names = "--batch-size", description = "Examples per micro-batch (default: ${DEFAULT-VALUE}).")
    int batchSize = TrainConfig.DEFAULTS.batchSize();

    @Option(names = "--grad-accum", description = "Micro-batches per step (default: ${DEFAULT-VALUE}).")
    int gradAccum = TrainConfig.DEFAULTS.gradientAccumulation();

    @Option(names = "--max-length", description = "Tokens per example (default: ${DEFAULT-VALUE}).")
    int maxLength = TrainConfig.DEFAULTS.maxLength();

    @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed = TrainConfig.DEFAULTS.seed();

    @Option(names = "--scheduler", description = "Learning-rate schedule (default: ${DEFAULT-VALUE}).")
    String scheduler = TrainConfig.DEFAULTS.scheduler();

    @Option(names = "--warmup", paramLabel = "STEPS", description = "Warm-up steps (default: ${DEFAULT-VALUE}).")
    int warmup = TrainConfig.DEFAULTS.warmupSteps();

    @Option(names = "--optimizer", paramLabel = "NAME", description = "transformers optimizer name (default: paged_adamw_8bit for qlora, adamw_torch otherwise).")
    String optimizer;

    @Option(names = "--full-loss", description = "Train on prompts too, not only completions / assistant turns.")
    boolean fullLoss;

    @Option(names = "--eval-data", paramLabel = "FILE", description = "JSONL to evaluate on.")
    Path evalData;

    @Option(names = "--eval-fraction", description = "Share of the data held out for evaluation (default: ${DEFAULT-VALUE}).")
    double evalFraction = TrainConfig.DEFAULTS.evalFraction();

    @Option(names = "--eval-steps", description = "Evaluate every N steps; 0: at the end (default: ${DEFAULT-VALUE}).")
    int evalSteps = TrainConfig.DEFAULTS.evalSteps();

    @Option(names = "--save-steps", description = "Checkpoint every N steps; 0: only when stopped (default: ${DEFAULT-VALUE}).")
    int saveSteps = TrainConfig.DEFAULTS.saveSteps();

    @Option(names = "--resume", paramLabel = "CHECKPOINT", description = "Continue from OUT/checkpoints/checkpoint-N.")
    Path resume;

    @Option(names = "--device", description = "auto or cpu (default: ${DEFAULT-VALUE}).")
    String device = TrainConfig.DEFAULTS.device();

    @Option(names = "--dpo-base", paramLabel = "METHOD",
            description = "With --method dpo: the adapter trained, lora, qlora, dora or rslora (default: ${DEFAULT-VALUE}).")
    String dpoBase = TrainConfig.DEFAULTS.dpoBase().id();

    @Option(names = "--dpo-beta", description = "With --method dpo: DPO's beta (default: ${DEFAULT-VALUE}).")
    double dpoBeta = TrainConfig.DEFAULTS.dpoBeta();

    @ArgGroup(exclusive = false, heading = "Distributed training (torchrun / accelerate launch):%n")
    DistributedOptions distributed;

    /** Several processes or machines; absent means one process in this JVM. */
    static final class DistributedOptions {
        @Option(names = "--nproc-per-node", required = true, paramLabel = "N", description = "Processes on this machine (one per GPU).")
        int processesPerNode;

        @Option(names = "--nnodes", defaultValue = "1", paramLabel = "M", description = "Machines taking part (default: ${DEFAULT-VALUE}).")
        int nodes;

        @Option(names = "--node-rank", defaultValue = "0", paramLabel = "K", description = "This machine's rank; node 0 writes the adapter (default: ${DEFAULT-VALUE}).")
        int nodeRank;

        @Option(names = "--master-addr", paramLabel = "HOST", description = "Address of node 0 (several nodes).")
        String masterAddress;

        @Option(names = "--master-port", defaultValue = "0", paramLabel = "PORT", description = "Rendezvous port on node 0 (several nodes).")
        int masterPort;

        @Option(names = "--backend", paramLabel = "gloo|nccl", description = "torch.distributed backend (default: nccl with CUDA, gloo otherwise).")
        String backend;

        @Option(names = "--accelerate-config", paramLabel = "YAML", description = "Launch with 'accelerate launch --config_file YAML' (DDP, FSDP, DeepSpeed).")
        Path accelerateConfig;

        Distributed toDistributed() {
            return new Distributed(processesPerNode, nodes, nodeRank, masterAddress, masterPort, backend, accelerateConfig);
        }
    }

    @Override
    public Integer call() {
        TrainConfig config = TrainConfig.builder().baseModel(base).data(data).outputDir(out)
                .method(TrainMethod.parse(method)).rank(rank).alpha(alpha).dropout(dropout)
                .targets(targets == null ? TrainConfig.DEFAULTS.targets() : Targets.parse(targets))
                .numVirtualTokens(virtualTokens).maxSteps(length.maxSteps).epochs(length.epochs)
                .learningRate(learningRate).batchSize(batchSize).gradientAccumulation(gradAccum).maxLength(maxLength)
                .seed(seed).scheduler(scheduler, warmup).optimizer(optimizer).completionOnlyLoss(!fullLoss)
                .evalData(evalData).evalFraction(evalFraction).evalSteps(evalSteps).saveSteps(saveSteps)
                .resumeFrom(resume).device(device).dpo(TrainMethod.parse(dpoBase), dpoBeta)
                .distributed(distributed == null ? null : distributed.toDistributed())
                .overwrite(overwrite.overwrite).build(); // Peft.trainAsync applies the overwrite rule
        var progress = new TrainProgress(System.out, System.console() != null);
        TrainingHandle handle = Peft.trainAsync(config, progress);
        Thread stopOnInterrupt = new Thread(() -> {
            handle.cancel();
            handle.future().completeOnTimeout(null, 120, TimeUnit.SECONDS).join();
        }, "peft4j-train-stop");
        Runtime.getRuntime().addShutdownHook(stopOnInterrupt);
        TrainResult result;
        try {
            result = handle.await();
        } finally {
            removeHook(stopOnInterrupt);
        }
        var err = spec.commandLine().getOut();
        err.printf(Locale.ROOT, "%s after %d/%d steps: loss %.4f, %.0f tok/s, %s, optimizer %s%n",
                result.cancelled() ? "stopped" : "done", result.steps(), result.maxSteps(), result.finalLoss().orElse(Double.NaN),
                result.tokensPerSecond(), TrainProgress.clock(result.duration()), result.optimizer());
        result.notes().forEach(note -> err.println("note: " + note));
        err.println("adapter: " + result.adapterDir());
        result.checkpoint().ifPresent(checkpoint -> err.println("checkpoint: " + checkpoint));
        err.flush();
        return 0;
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is exiting (Ctrl-C): the hook is running and finishes the cancellation
        }
    }
}
