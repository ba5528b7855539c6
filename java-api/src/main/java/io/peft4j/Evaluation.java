package io.peft4j;

/**
 * A loss measured on held-out data.
 *
 * @param step the training step it was measured at (0 outside training)
 * @param loss mean token loss
 * @param perplexity {@code exp(loss)}
 */
public record Evaluation(long step, double loss, double perplexity) {}
