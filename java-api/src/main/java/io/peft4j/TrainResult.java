package io.peft4j;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What a training run produced.
 *
 * @param adapterDir the output directory holding {@code adapter_config.json} and {@code adapter_model.safetensors}
 * @param metricsPath {@code metrics.jsonl}: one JSON object per logged step
 * @param configPath {@code train_config.json}: the resolved configuration
 * @param steps optimizer steps completed (counting those before a resume)
 * @param maxSteps the steps the run was planned for
 * @param epochs passes over the data completed
 * @param finalLoss the last logged training loss, NaN if no step was logged
 * @param evalLoss the last evaluation loss, NaN without eval data
 * @param duration wall time of the training loop
 * @param tokensPerSecond mean non-padding tokens per second of this run
 * @param optimizer the optimizer that actually ran, e.g. {@code adamw_8bit}
 * @param optimizerRequested the optimizer asked for, e.g. {@code paged_adamw_8bit}
 * @param device {@code cpu} or {@code cuda}
 * @param cancelled whether the run stopped because of {@link TrainingHandle#cancel()}
 * @param checkpoint the last checkpoint written, or null
 * @param notes what differed from the request and why (e.g. paging unavailable on CPU)
 */
public record TrainResult(Path adapterDir, Path metricsPath, Path configPath, long steps, long maxSteps,
                          double epochs, double finalLoss, double evalLoss, Duration duration,
                          double tokensPerSecond, String optimizer, String optimizerRequested, String device,
                          boolean cancelled, Path checkpoint, List<String> notes) {

    /** Copies the notes. */
    public TrainResult {
        notes = List.copyOf(notes);
    }
}
