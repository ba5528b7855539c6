package io.peft4j.cli;

import io.peft4j.Distributed;
import io.peft4j.Peft;
import io.peft4j.TrainConfig;
import io.peft4j.TrainMethod;
import io.peft4j.TrainResult;
import io.peft4j.TrainingHandle;
import io.peft4j.output.OutputPolicy;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
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

    @Option(names = "--method", defaultValue = "lora", paramLabel = "NAME",
            description = "lora, qlora, dora, rslora, adalora, ia3, prompt_tuning or dpo (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--rank", defaultValue = "8", description = "LoRA rank (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--alpha", defaultValue = "16", description = "LoRA alpha (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--dropout", defaultValue = "0.05", description = "LoRA dropout (default: ${DEFAULT-VALUE}).")
    double dropout;

    @Option(names = "--targets", paramLabel = "LIST|all-linear|REGEX",
            description = "Target modules: comma-separated names, all-linear, or a regex (default: PEFT's choice for the architecture).")
    String targets;

    @Option(names = "--virtual-tokens", defaultValue = "8", description = "Soft-prompt length for prompt_tuning (default: ${DEFAULT-VALUE}).")
    int virtualTokens;

    @ArgGroup(exclusive = true)
    Length length = new Length();

    /** How long to train: steps or epochs, not both. */
    static final class Length {
        @Option(names = "--max-steps", paramLabel = "N", description = "Optimizer steps.")
        int maxSteps;

        @Option(names = "--epochs", paramLabel = "E", description = "Passes over the data (default: 1).")
        double epochs = 1;
    }

    @Option(names = "--lr", defaultValue = "2e-4", description = "Learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--batch-size", defaultValue = "4", description = "Examples per micro-batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--grad-accum", defaultValue = "1", description = "Micro-batches per step (default: ${DEFAULT-VALUE}).")
    int gradAccum;

    @Option(names = "--max-length", defaultValue = "512", description = "Tokens per example (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--scheduler", defaultValue = "linear", description = "Learning-rate schedule (default: ${DEFAULT-VALUE}).")
    String scheduler;

    @Option(names = "--warmup", defaultValue = "0", paramLabel = "STEPS", description = "Warm-up steps (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--optimizer", paramLabel = "NAME", description = "transformers optimizer name (default: paged_adamw_8bit for qlora, adamw_torch otherwise).")
    String optimizer;

    @Option(names = "--full-loss", description = "Train on prompts too, not only completions / assistant turns.")
    boolean fullLoss;

    @Option(names = "--eval-data", paramLabel = "FILE", description = "JSONL to evaluate on.")
    Path evalData;

    @Option(names = "--eval-fraction", defaultValue = "0", description = "Share of the data held out for evaluation (default: ${DEFAULT-VALUE}).")
    double evalFraction;

    @Option(names = "--eval-steps", defaultValue = "0", description = "Evaluate every N steps; 0: at the end (default: ${DEFAULT-VALUE}).")
    int evalSteps;

    @Option(names = "--save-steps", defaultValue = "0", description = "Checkpoint every N steps; 0: only when stopped (default: ${DEFAULT-VALUE}).")
    int saveSteps;

    @Option(names = "--resume", paramLabel = "CHECKPOINT", description = "Continue from OUT/checkpoints/checkpoint-N.")
    Path resume;

    @Option(names = "--device", defaultValue = "auto", description = "auto or cpu (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--dpo-base", defaultValue = "lora", paramLabel = "METHOD",
            description = "With --method dpo: the adapter trained, lora, qlora, dora or rslora (default: ${DEFAULT-VALUE}).")
    String dpoBase;

    @Option(names = "--dpo-beta", defaultValue = "0.1", description = "With --method dpo: DPO's beta (default: ${DEFAULT-VALUE}).")
    double dpoBeta;

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
                .targets(targets == null ? TrainConfig.Targets.defaults() : TrainConfig.Targets.parse(targets))
                .numVirtualTokens(virtualTokens).maxSteps(length.maxSteps).epochs(length.epochs)
                .learningRate(learningRate).batchSize(batchSize).gradientAccumulation(gradAccum).maxLength(maxLength)
                .seed(seed).scheduler(scheduler, warmup).optimizer(optimizer).completionOnlyLoss(!fullLoss)
                .evalData(evalData).evalFraction(evalFraction).evalSteps(evalSteps).saveSteps(saveSteps)
                .resumeFrom(resume).device(device).dpo(TrainMethod.parse(dpoBase), dpoBeta)
                .distributed(distributed == null ? null : distributed.toDistributed()).build();
        if (resume == null) {
            // checked once the configuration is valid, so that a refused run changes nothing
            OutputPolicy.clearFolder(out, overwrite.overwrite, data, evalData, Path.of(base));
        } else if (overwrite.overwrite) {
            throw new ParameterException(spec.commandLine(), "--overwrite would delete the checkpoint --resume continues from; give one of them");
        }
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
                result.cancelled() ? "stopped" : "done", result.steps(), result.maxSteps(), result.finalLoss(),
                result.tokensPerSecond(), TrainProgress.clock(result.duration()), result.optimizer());
        result.notes().forEach(note -> err.println("note: " + note));
        err.println("adapter: " + result.adapterDir());
        if (result.checkpoint() != null) {
            err.println("checkpoint: " + result.checkpoint());
        }
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
