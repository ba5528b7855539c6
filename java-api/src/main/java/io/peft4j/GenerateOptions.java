package io.peft4j;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/**
 * Sampling settings for {@link Peft#generate}; also what the Python bridge receives (snake_case keys).
 *
 * @param maxNewTokens tokens to generate at most
 * @param temperature 0 for greedy decoding, otherwise the sampling temperature
 * @param topP nucleus sampling threshold in (0, 1]
 * @param topK sample among the k likeliest tokens; 0 for no limit
 * @param repetitionPenalty 1 for none
 * @param seed seeds sampling, so equal settings give equal text
 * @param chat wrap the prompt as a user turn with the tokenizer's chat template
 * @param weights one weight per adapter when several are combined (empty: 1.0 each); several LoRA
 *     adapters are combined by PEFT's {@code add_weighted_adapter} with {@code cat}, exactly the
 *     weighted sum of their deltas
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record GenerateOptions(int maxNewTokens, double temperature, double topP, int topK,
                              double repetitionPenalty, long seed, boolean chat, List<Double> weights) {

    /**
     * Validates the ranges.
     *
     * @throws GenerateOptionsException naming the setting out of range
     */
    public GenerateOptions {
        weights = weights == null ? List.of() : List.copyOf(weights);
        check(maxNewTokens > 0, "max new tokens must be > 0, got " + maxNewTokens);
        check(temperature >= 0, "temperature must be >= 0, got " + temperature);
        check(topP > 0 && topP <= 1, "top-p must be in (0, 1], got " + topP);
        check(topK >= 0, "top-k must be >= 0, got " + topK);
        check(repetitionPenalty > 0, "repetition penalty must be > 0, got " + repetitionPenalty);
    }

    /** Greedy decoding of up to 64 tokens: the defaults, in one place. */
    public static GenerateOptions defaults() {
        return new GenerateOptions(64, 0, 1, 0, 1, 0, false, List.of());
    }

    /** A copy generating up to {@code n} tokens. */
    public GenerateOptions withMaxNewTokens(int n) {
        return new GenerateOptions(n, temperature, topP, topK, repetitionPenalty, seed, chat, weights);
    }

    /** A copy sampling with this temperature, top-p, top-k and seed. */
    public GenerateOptions withSampling(double temperature, double topP, int topK, long seed) {
        return new GenerateOptions(maxNewTokens, temperature, topP, topK, repetitionPenalty, seed, chat, weights);
    }

    /** A copy that does or does not wrap the prompt in the chat template. */
    public GenerateOptions withChat(boolean chat) {
        return new GenerateOptions(maxNewTokens, temperature, topP, topK, repetitionPenalty, seed, chat, weights);
    }

    /** A copy with one weight per adapter. */
    public GenerateOptions withWeights(List<Double> weights) {
        return new GenerateOptions(maxNewTokens, temperature, topP, topK, repetitionPenalty, seed, chat, weights);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new GenerateOptionsException(message);
        }
    }
}
