package io.peft4j;

import io.peft4j.core.Peft4jException;
import io.peft4j.estimate.Estimate;
import io.peft4j.estimate.ModelSource;
import io.peft4j.estimate.Optimizer;
import io.peft4j.estimate.Precision;
import io.peft4j.estimate.TrainingPlan;
import io.peft4j.tuning.TrainMethod;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * The memory check {@link Peft#train} runs before starting: the estimate of the run as the bridge
 * will do it (fp32 base for LoRA/DoRA/rsLoRA; NF4 + bf16 compute, fp32 upcast of the rest and
 * gradient checkpointing for QLoRA, as {@code prepare_model_for_kbit_training} does; fp32 adapters;
 * the configured optimizer) against the device's memory; methods the estimator does not model
 * (AdaLoRA, IA3, prompt tuning, DPO) are not checked. Only CPU runs are checked: the JVM
 * cannot see a GPU's memory (use {@code peft4j estimate --gpu} for that). Never blocks training.
 */
final class TrainMemoryCheck {

    private static final double GIB = 1L << 30;

    private TrainMemoryCheck() {}

    /** A warning for a CPU run whose estimated peak exceeds the machine's RAM, else empty. */
    static Optional<String> warning(TrainConfig config) {
        boolean cpu = config.device().equals("cpu") || !Files.exists(Path.of("/dev/nvidiactl"));
        if (!cpu) {
            return Optional.empty();
        }
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        return warning(config, os.getTotalMemorySize());
    }

    /** A warning when the estimated peak of {@code config} exceeds {@code deviceBytes}, else empty. */
    static Optional<String> warning(TrainConfig config, long deviceBytes) {
        TrainMethod method = config.method();
        if (!TrainingPlan.ESTIMATED.contains(method)) {
            return Optional.empty();
        }
        Estimate estimate;
        try {
            boolean qlora = method == TrainMethod.QLORA;
            TrainingPlan plan = TrainingPlan.builder().method(method).rank(config.rank()).targets(config.targets())
                    .precision(qlora ? Precision.BF16 : Precision.FP32).adapterPrecision(Precision.FP32)
                    .optimizer(optimizer(config.optimizer())).batchSize(config.batchSize())
                    .seqLen(config.maxLength()).gradientCheckpointing(qlora)
                    .gradientAccumulation(config.gradientAccumulation()).build();
            estimate = Estimate.of(ModelSource.resolve(config.baseModel().toString()), plan, null, 0, null);
        } catch (Peft4jException e) {
            return Optional.empty(); // an architecture the estimator does not know: nothing to say
        }
        long peak = estimate.memory().total() - estimate.memory().overhead();
        if (peak <= deviceBytes) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, "peft4j train: this run is estimated to need %.1f GiB at its "
                + "peak but the machine has %.1f GiB; it may run out of memory (lower batch size or max length; "
                + "see 'peft4j estimate')", peak / GIB, deviceBytes / GIB));
    }

    /** The estimator's optimizer for a transformers {@code optim} name. */
    private static Optimizer optimizer(String optim) {
        return switch (optim) {
            case "adamw_8bit", "adamw_bnb_8bit" -> Optimizer.ADAMW_8BIT;
            case "paged_adamw_8bit" -> Optimizer.PAGED_ADAMW_8BIT;
            case "paged_adamw_32bit" -> Optimizer.PAGED_ADAMW;
            case "sgd" -> Optimizer.SGD;
            default -> Optimizer.ADAMW;
        };
    }
}
