package io.peft4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.Peft;
import io.peft4j.estimate.Estimate;
import io.peft4j.estimate.EstimateException;
import io.peft4j.estimate.Gpu;
import io.peft4j.estimate.Optimizer;
import io.peft4j.estimate.Precision;
import io.peft4j.estimate.TrainingPlan;
import io.peft4j.tuning.Targets;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j estimate}: parameter counts, peak memory by component, the fit on a GPU and the time
 * per epoch of full fine-tuning, LoRA, QLoRA or DoRA, from the model's config alone.
 */
@Command(name = "estimate", mixinStandardHelpOptions = true,
        description = {"Estimates parameters, peak training memory, GPU fit and time per epoch from a model's "
                + "config.json, before any download or GPU time.",
                "Formulas: see the io.peft4j.estimate Javadoc (MemoryModel, ActivationModel, Nf4, Optimizer)."})
public final class EstimateCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--base", paramLabel = "DIR|HUB_ID",
            description = "Model directory (with config.json), config.json file, or Hub id found in the "
                    + "Hugging Face cache or among the bundled configs (e.g. meta-llama/Meta-Llama-3-8B).")
    private String base;

    @Option(names = "--method", defaultValue = "lora", description = "full, lora, qlora, dora or rslora (default: ${DEFAULT-VALUE}).")
    private String method;

    @Option(names = "--rank", defaultValue = "16", description = "LoRA rank (default: ${DEFAULT-VALUE}).")
    private int rank;

    @Option(names = "--targets", paramLabel = "NAMES",
            description = "Target modules: comma-separated names matched as suffixes, or all-linear "
                    + "(default: PEFT's default for the model type).")
    private String targets;

    @Option(names = "--target-regex", paramLabel = "REGEX",
            description = "Target modules as a regular expression over full module names (PEFT's string form).")
    private String targetRegex;

    @Option(names = "--precision", defaultValue = "bf16",
            description = "Model dtype: fp32, bf16, fp16, or mixed (fp32 master weights, 16-bit autocast) "
                    + "(default: ${DEFAULT-VALUE}).")
    private String precision;

    @Option(names = "--adapter-precision", defaultValue = "fp32",
            description = "Adapter weights' dtype; PEFT upcasts adapters to fp32 by default (default: ${DEFAULT-VALUE}).")
    private String adapterPrecision;

    @Option(names = "--optimizer", defaultValue = "adamw",
            description = "adamw, adamw-8bit, paged-adamw, paged-adamw-8bit or sgd (default: ${DEFAULT-VALUE}).")
    private String optimizer;

    @Option(names = "--batch-size", defaultValue = "1", description = "Micro-batch size (default: ${DEFAULT-VALUE}).")
    private int batchSize;

    @Option(names = "--seq-len", defaultValue = "512", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
    private int seqLen;

    @Option(names = "--gradient-checkpointing", description = "Recompute activations in backward.")
    private boolean gradientCheckpointing;

    @Option(names = "--gradient-accumulation", defaultValue = "1",
            description = "Micro-batches per optimizer step; does not change peak memory (default: ${DEFAULT-VALUE}).")
    private int gradientAccumulation;

    @Option(names = "--no-double-quant", description = "QLoRA without double quantization of the NF4 constants.")
    private boolean noDoubleQuant;

    @Option(names = "--no-kbit-upcast",
            description = "QLoRA: keep embeddings, norms and lm_head in the compute dtype instead of the fp32 "
                    + "that PEFT's prepare_model_for_kbit_training casts them to.")
    private boolean noKbitUpcast;

    @Option(names = "--gpu", paramLabel = "NAME", description = "A GPU from the table (--list-gpus), e.g. A100-80GB.")
    private String gpu;

    @Option(names = "--gpu-memory", paramLabel = "GB", description = "GPU memory in GiB, for a GPU not in the table.")
    private Double gpuMemory;

    @Option(names = "--tflops", description = "Peak dense 16-bit TFLOP/s of the GPU (overrides the table's figure).")
    private Double tflops;

    @Option(names = "--tokens", defaultValue = "0", description = "Tokens per epoch, for the time estimate.")
    private long tokens;

    @Option(names = "--mfu", description = "Model FLOPs utilisation to assume (default: 0.35; 0.25 for qlora).")
    private Double mfu;

    @Option(names = "--list-gpus", description = "Print the GPU table and exit.")
    private boolean listGpus;

    @Option(names = "--json", description = "Print the estimate as JSON (memory in bytes).")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        if (listGpus) {
            out.printf("%-14s %8s %10s%n", "GPU", "GiB", "TFLOP/s");
            Gpu.KNOWN.forEach(g -> out.printf(Locale.ROOT, "%-14s %8.0f %10.0f%n", g.name(), g.memoryGiB(), g.tflops()));
            out.flush();
            return 0;
        }
        if (base == null) {
            throw new EstimateException("--base is required (a model directory, config.json, or Hub id)");
        }
        if (targets != null && targetRegex != null) {
            throw new EstimateException("give --targets or --target-regex, not both");
        }
        TrainingPlan plan = TrainingPlan.builder()
                .method(method).rank(rank)
                .targets(targetRegex != null ? Targets.regex(targetRegex) : targets != null ? Targets.parse(targets) : Targets.peftDefault())
                .precision(Precision.parse(precision)).adapterPrecision(Precision.parse(adapterPrecision))
                .optimizer(Optimizer.parse(optimizer)).batchSize(batchSize).seqLen(seqLen)
                .gradientCheckpointing(gradientCheckpointing).gradientAccumulation(gradientAccumulation)
                .doubleQuant(!noDoubleQuant).upcastNonQuantized(!noKbitUpcast)
                .build();
        Estimate estimate = Peft.estimate(base, plan, chosenGpu(), tokens, mfu);
        if (json) {
            out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(estimate.toJson()));
        } else {
            out.print(estimate.toTable());
            if (estimate.time() == null && tokens > 0) {
                out.println("Time/epoch  needs a GPU with a known throughput: --gpu NAME, or --gpu-memory with --tflops");
            }
        }
        out.flush();
        return 0;
    }

    private Gpu chosenGpu() {
        if (gpu != null && gpuMemory != null) {
            throw new EstimateException("give --gpu or --gpu-memory, not both");
        }
        if (gpu != null) {
            Gpu g = Gpu.named(gpu);
            return tflops == null ? g : new Gpu(g.name(), g.memoryGiB(), tflops);
        }
        if (gpuMemory != null) {
            return Gpu.withMemory(gpuMemory, tflops == null ? 0 : tflops);
        }
        return null;
    }
}
