package io.peft4j;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.nio.file.Path;

/**
 * A checkpoint directory was written ({@link TrainingListener#onCheckpoint} receives its path).
 *
 * @param path {@code outputDir/checkpoints/checkpoint-<step>}
 * @param step the step it holds
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record TrainCheckpoint(Path path, long step) implements TrainingEvent {}
