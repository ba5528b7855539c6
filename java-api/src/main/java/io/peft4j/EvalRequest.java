package io.peft4j;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What {@code peft4j_bridge.generate.evaluate} receives.
 *
 * @param base the base model directory
 * @param adapter an adapter directory checked in Java, or empty for the base alone
 * @param data the data file with its format
 * @param batchSize examples per forward pass
 * @param maxLength tokens per example
 * @param completionOnlyLoss count completion and assistant tokens only, as training does
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record EvalRequest(Path base, Optional<Path> adapter, DataFile data, int batchSize, int maxLength,
                   boolean completionOnlyLoss) {}
