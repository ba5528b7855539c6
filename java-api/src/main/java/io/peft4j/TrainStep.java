package io.peft4j;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Duration;
import java.util.OptionalDouble;

/**
 * One optimizer step, as the listener hears it and as {@code metrics.jsonl} holds it (one a line).
 *
 * @param step steps completed
 * @param maxSteps steps planned
 * @param epoch passes over the data so far (fractional)
 * @param loss mean training loss of the step
 * @param learningRate the learning rate of this step
 * @param tokensPerSecond non-padding tokens per second since the previous step
 * @param eta estimated time to the last step
 * @param gradNorm the gradient norm before clipping, when the trainer reports it
 * @param tokensSeen non-padding tokens trained on so far
 * @param elapsed time since training began
 * @param rewardMargin DPO only: mean reward of the chosen minus the rejected answers
 * @param rewardAccuracy DPO only: share of pairs whose chosen answer has the higher reward
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TrainStep(long step, long maxSteps, double epoch, double loss, double learningRate,
                        double tokensPerSecond, @JsonProperty("eta_seconds") Duration eta, OptionalDouble gradNorm,
                        long tokensSeen, @JsonProperty("elapsed_seconds") Duration elapsed,
                        OptionalDouble rewardMargin, OptionalDouble rewardAccuracy) implements TrainingEvent {}
