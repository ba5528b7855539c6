package io.peft4j;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * Training has begun.
 *
 * @param maxSteps the optimizer steps planned
 * @param trainExamples training examples after tokenization (and after any eval split)
 * @param optimizer the optimizer that runs
 * @param device {@code cpu} or {@code cuda}
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TrainStart(long maxSteps, long trainExamples, String optimizer, String device) implements TrainingEvent {}
