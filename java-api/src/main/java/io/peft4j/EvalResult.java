package io.peft4j;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * The loss of a model (with or without an adapter) on a JSONL set, from {@link Peft#evaluate}.
 * The tokens counted are those training counts: completions and assistant turns only for
 * prompt/completion and chat data.
 *
 * @param loss token-weighted mean cross-entropy
 * @param perplexity {@code exp(loss)}
 * @param tokens tokens the loss is averaged over
 * @param examples records evaluated
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record EvalResult(double loss, double perplexity, long tokens, int examples) {}
