package io.peft4j;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * A loss measured on held-out data during training, as the listener hears it and as
 * {@code eval_metrics.jsonl} holds it (one a line).
 *
 * @param step the training step it was measured at
 * @param epoch passes over the training data at that step
 * @param loss mean token loss
 * @param perplexity {@code exp(loss)}
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Evaluation(long step, double epoch, double loss, double perplexity) implements TrainingEvent {}
