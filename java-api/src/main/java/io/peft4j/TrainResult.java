package io.peft4j;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * What a training run produced; also the last event of a run ({@link TrainingListener#onEnd}).
 *
 * @param adapterDir the output directory holding {@code adapter_config.json} and {@code adapter_model.safetensors}
 * @param metricsPath {@code metrics.jsonl}: one {@link TrainStep} per line
 * @param configPath {@code train_config.json}: the request and what was resolved from it
 * @param steps optimizer steps completed (counting those before a resume)
 * @param maxSteps the steps the run was planned for
 * @param epochs passes over the data completed
 * @param finalLoss the last training loss, empty if no step was logged
 * @param evalLoss the last evaluation loss, empty without eval data
 * @param duration wall time of the training loop
 * @param tokensPerSecond mean non-padding tokens per second of this run
 * @param optimizer the optimizer that actually ran, e.g. {@code adamw_8bit}
 * @param optimizerRequested the optimizer asked for, e.g. {@code paged_adamw_8bit}
 * @param device {@code cpu} or {@code cuda}
 * @param cancelled whether the run stopped because it was cancelled
 * @param checkpoint the last checkpoint written, if any
 * @param notes what differed from the request and why (e.g. paging unavailable on CPU)
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TrainResult(Path adapterDir, Path metricsPath, Path configPath, long steps, long maxSteps,
                          double epochs, OptionalDouble finalLoss, OptionalDouble evalLoss,
                          @JsonProperty("duration_seconds") Duration duration, double tokensPerSecond,
                          String optimizer, String optimizerRequested, String device, boolean cancelled,
                          Optional<Path> checkpoint, List<String> notes) implements TrainingEvent {

    /** Copies the notes. */
    public TrainResult {
        notes = List.copyOf(notes);
    }
}
