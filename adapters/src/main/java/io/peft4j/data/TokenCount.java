package io.peft4j.data;

/**
 * The tokens of one example as training sees them.
 *
 * @param promptTokens tokens the model is conditioned on but not trained to produce (0 for plain text)
 * @param completionTokens tokens the loss is computed on (all of them for plain text; chosen plus
 *     rejected for a preference pair)
 * @param length the longest sequence the example becomes, the number compared with the maximum length
 */
public record TokenCount(int promptTokens, int completionTokens, int length) {}
