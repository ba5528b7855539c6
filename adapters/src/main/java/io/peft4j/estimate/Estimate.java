package io.peft4j.estimate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.tuning.Targets;
import io.peft4j.tuning.TrainMethod;
import java.util.Locale;

/**
 * A complete estimate: parameter counts, the memory breakdown, the fit on a GPU and the time per
 * epoch. Computed from the config alone, in microseconds.
 *
 * @param source      the model and where its config came from
 * @param plan        the training setup
 * @param trainable   trainable parameters (all of them for full fine-tuning)
 * @param memory      peak memory by component
 * @param fit         the fit on the chosen GPU, or null when none was given
 * @param time        the time per epoch, or null without a token count or a GPU throughput
 */
public record Estimate(ModelSource source, TrainingPlan plan, long trainable, MemoryBreakdown memory, Fit fit,
                       TimeEstimate time) {

    private static final double GIB = 1L << 30;

    /**
     * Estimates training {@code source} with {@code plan}; {@code gpu} (may be null) for the fit and time,
     * {@code tokensPerEpoch} (0 for none) and {@code mfu} (null for the default) for the time.
     */
    public static Estimate of(ModelSource source, TrainingPlan plan, Gpu gpu, long tokensPerEpoch, Double mfu) {
        ModelShapes shapes = source.shapes();
        AdapterShapes adapter = MemoryModel.adapter(shapes, plan);
        long trainable = adapter == null ? shapes.parameterCount() : adapter.parameterCount();
        MemoryBreakdown memory = MemoryModel.estimate(shapes, plan);
        Fit fit = gpu == null ? null : Fit.of(memory, gpu);
        TimeEstimate time = null;
        if (gpu != null && gpu.hasThroughput() && tokensPerEpoch > 0) {
            int gpus = fit.fits() || fit.gpusNeeded() == 0 ? 1 : fit.gpusNeeded();
            time = TimeEstimate.of(shapes, plan, tokensPerEpoch, gpu, gpus, mfu);
        }
        return new Estimate(source, plan, trainable, memory, fit, time);
    }

    /** The model's parameter count. */
    public long parameters() {
        return source.shapes().parameterCount();
    }

    /** A human-readable table. */
    public String toTable() {
        var out = new StringBuilder();
        line(out, "Model       %s (%s; %s)", source.name(), source.modelType(), source.origin());
        line(out, "Parameters  %,d (%s)%s", parameters(), billions(parameters()),
                source.checkpointParameters() == null ? ""
                        : String.format(Locale.ROOT, "; safetensors headers: %,d", source.checkpointParameters()));
        line(out, "Trainable   %,d (%.4f %%)%s", trainable, 100.0 * trainable / parameters(), adapterText());
        line(out, "Setup       %s", setupText());
        out.append('\n');
        line(out, "%-18s %10s", "component", "GiB");
        row(out, "weights", memory.weights());
        row(out, "gradients", memory.gradients());
        row(out, "optimizer states", memory.optimizerStates());
        row(out, "activations", memory.activations());
        row(out, "logits + loss", memory.logits());
        row(out, "overhead", memory.overhead());
        row(out, "total", memory.total());
        if (fit != null) {
            out.append('\n').append(fitText()).append('\n');
        }
        if (time != null) {
            line(out, "Time/epoch  %s for %,d tokens on %d x %s: %.3g FLOP/token at %.0f TFLOP/s x MFU %.2f (assumed)",
                    duration(time.seconds()), time.tokens(), time.gpus(), time.gpu().name(), time.flopsPerToken(),
                    time.gpu().tflops(), time.mfu());
        }
        return out.toString();
    }

    /** The estimate as JSON, bytes for memory figures. */
    public ObjectNode toJson() {
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("model", source.name()).put("model_type", source.modelType()).put("config_origin", source.origin());
        root.put("parameters", parameters());
        if (source.checkpointParameters() != null) {
            root.put("safetensors_parameters", source.checkpointParameters());
        }
        root.put("trainable_parameters", trainable);
        ObjectNode setup = root.putObject("setup");
        setup.put("method", plan.method().toString()).put("precision", plan.precision().toString())
                .put("optimizer", plan.optimizer().toString()).put("batch_size", plan.batchSize())
                .put("seq_len", plan.seqLen()).put("gradient_checkpointing", plan.gradientCheckpointing())
                .put("gradient_accumulation", plan.gradientAccumulation());
        if (plan.method().isAdapter()) {
            setup.put("rank", plan.rank()).put("targets", targets().describe())
                    .put("adapter_precision", plan.adapterPrecision().toString());
        }
        if (plan.method() == TrainMethod.QLORA) {
            setup.put("double_quant", plan.doubleQuant()).put("upcast_non_quantized", plan.upcastNonQuantized());
        }
        ObjectNode mem = root.putObject("memory_bytes");
        mem.put("weights", memory.weights()).put("gradients", memory.gradients())
                .put("optimizer_states", memory.optimizerStates()).put("activations", memory.activations())
                .put("logits", memory.logits()).put("overhead", memory.overhead())
                .put("pageable", memory.pageable()).put("total", memory.total());
        if (fit != null) {
            root.putObject("gpu").put("name", fit.gpu().name()).put("memory_gib", fit.gpu().memoryGiB())
                    .put("tflops", fit.gpu().tflops()).put("fits", fit.fits())
                    .put("fits_with_paging", fit.fitsWithPaging()).put("gpus_needed", fit.gpusNeeded());
        }
        if (time != null) {
            root.putObject("time").put("tokens", time.tokens()).put("flops_per_token", time.flopsPerToken())
                    .put("gpus", time.gpus()).put("mfu", time.mfu()).put("seconds_per_epoch", time.seconds());
        }
        return root;
    }

    /** One line saying whether and how it fits, for warnings. */
    public String fitText() {
        String head = String.format(Locale.ROOT, "GPU %s (%.0f GiB): ", fit.gpu().name(), fit.gpu().memoryGiB());
        double used = memory.total() / GIB;
        if (fit.fits()) {
            return head + String.format(Locale.ROOT, "fits (%.2f of %.0f GiB, %.0f %%)", used, fit.gpu().memoryGiB(),
                    100 * used / fit.gpu().memoryGiB());
        }
        String paging = fit.fitsWithPaging() ? " (fits on one if the paged optimizer states spill to CPU RAM)" : "";
        if (fit.gpusNeeded() == 0) {
            return head + String.format(Locale.ROOT, "does not fit (%.2f GiB); activations, logits and overhead alone "
                    + "exceed one GPU: lower batch size or sequence length, or use gradient checkpointing%s",
                    used, paging);
        }
        return head + String.format(Locale.ROOT, "does not fit (%.2f GiB); needs %d GPUs with the model state "
                + "sharded (FSDP / ZeRO-3), or smaller batches: activations and logits are %.2f GiB%s", used,
                fit.gpusNeeded(), (memory.activations() + memory.logits()) / GIB, paging);
    }

    private Targets targets() {
        return TargetSelection.resolve(plan.targets(), source.shapes().architecture().modelType());
    }

    private String adapterText() {
        if (!plan.method().isAdapter()) {
            return "";
        }
        return String.format(Locale.ROOT, ", %s r=%d on %s", plan.method() == TrainMethod.DORA ? "DoRA" : "LoRA",
                plan.rank(), targets().describe());
    }

    private String setupText() {
        var s = new StringBuilder(plan.method().toString());
        if (plan.method() == TrainMethod.QLORA) {
            s.append(", NF4").append(plan.doubleQuant() ? " + double quant" : "").append(", ")
                    .append(plan.precision()).append(" compute")
                    .append(plan.upcastNonQuantized() ? ", other weights fp32" : "");
        } else {
            s.append(", ").append(plan.precision()).append(" weights");
        }
        if (plan.method().isAdapter()) {
            s.append(", ").append(plan.adapterPrecision()).append(" adapter");
        }
        s.append(", ").append(plan.optimizer()).append(String.format(Locale.ROOT, ", batch %d x %d tokens",
                plan.batchSize(), plan.seqLen()));
        if (plan.gradientCheckpointing()) {
            s.append(", gradient checkpointing");
        }
        if (plan.gradientAccumulation() > 1) {
            s.append(", ").append(plan.gradientAccumulation()).append(" accumulation steps");
        }
        return s.toString();
    }

    private static void row(StringBuilder out, String name, long bytes) {
        line(out, "%-18s %10.2f", name, bytes / GIB);
    }

    private static void line(StringBuilder out, String format, Object... args) {
        out.append(String.format(Locale.ROOT, format, args)).append('\n');
    }

    private static String billions(long n) {
        return n >= 1_000_000_000L ? String.format(Locale.ROOT, "%.2f B", n / 1e9)
                : String.format(Locale.ROOT, "%.1f M", n / 1e6);
    }

    private static String duration(double seconds) {
        if (seconds < 120) {
            return String.format(Locale.ROOT, "%.0f s", seconds);
        }
        if (seconds < 7200) {
            return String.format(Locale.ROOT, "%.1f min", seconds / 60);
        }
        return String.format(Locale.ROOT, "%.1f h", seconds / 3600);
    }
}
