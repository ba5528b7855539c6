package io.peft4j.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Token statistics of a training-data file, measured with the base model's tokenizer in one streaming
 * pass (see {@link TokenCounter} for how each format is counted).
 *
 * @param file the data file
 * @param format the format of its lines
 * @param estimated whether lengths are estimates (the {@link DatasetFormat#MESSAGES} format, whose chat
 *     template is not rendered) rather than exact counts
 * @param maxLength the maximum sequence length compared against; 0 for none
 * @param lengths the distribution of example lengths
 * @param promptTokens prompt tokens over all examples
 * @param completionTokens completion (trained-on) tokens over all examples
 */
public record TokenStats(Path file, DatasetFormat format, boolean estimated, int maxLength,
                         LengthDistribution lengths, long promptTokens, long completionTokens) {

    /** Examples tokenized per native batch. */
    private static final int BATCH = 1024;

    /**
     * Reads {@code file}, checking every line, and measures it.
     *
     * @param maxLength the training maximum sequence length, 0 for none
     * @throws DatasetFormatException at the first unusable line or if the file has no example
     */
    public static TokenStats compute(Path file, TokenCounter counter, int maxLength) {
        if (maxLength < 0) {
            throw new IllegalArgumentException("maxLength must be >= 0: " + maxLength);
        }
        LengthDistribution lengths = new LengthDistribution();
        long[] promptAndCompletion = new long[2];
        DatasetFormat[] format = new DatasetFormat[1];
        List<Example> batch = new ArrayList<>(BATCH);
        try (Stream<Example> examples = Dataset.read(file)) {
            examples.forEach(example -> {
                format[0] = example.format();
                batch.add(example);
                if (batch.size() == BATCH) {
                    add(counter.count(batch), lengths, promptAndCompletion);
                    batch.clear();
                }
            });
        }
        add(counter.count(batch), lengths, promptAndCompletion);
        return new TokenStats(file, format[0], format[0] == DatasetFormat.MESSAGES, maxLength, lengths,
                promptAndCompletion[0], promptAndCompletion[1]);
    }

    private static void add(List<TokenCount> counts, LengthDistribution lengths, long[] promptAndCompletion) {
        for (TokenCount count : counts) {
            lengths.add(count.length());
            promptAndCompletion[0] += count.promptTokens();
            promptAndCompletion[1] += count.completionTokens();
        }
    }

    /** The number of examples. */
    public long examples() {
        return lengths.examples();
    }

    /** Tokens over all examples (sum of lengths, before truncation). */
    public long totalTokens() {
        return lengths.tokens();
    }

    /** The 95th-percentile length (nearest rank). */
    public int p95Length() {
        return lengths.percentile(95);
    }

    /** Examples longer than {@link #maxLength()}, which training truncates (0 without a maximum). */
    public long overMaxLength() {
        return maxLength == 0 ? 0 : lengths.countAbove(maxLength);
    }

    /** Tokens truncation would drop (0 without a maximum). */
    public long truncatedTokens() {
        return maxLength == 0 ? 0 : lengths.tokensAbove(maxLength);
    }

    /**
     * Optimizer steps for a run, as the Hugging Face Trainer counts them:
     * {@code epochs * ceil(ceil(examples / batchSize) / gradientAccumulation)} (no packing).
     *
     * @param batchSize examples per device batch
     * @param gradientAccumulation batches per optimizer step
     * @param epochs passes over the data
     */
    public long optimizerSteps(int batchSize, int gradientAccumulation, int epochs) {
        if (batchSize < 1 || gradientAccumulation < 1 || epochs < 1) {
            throw new IllegalArgumentException("batch size, gradient accumulation and epochs must be positive");
        }
        long batches = Math.ceilDiv(examples(), batchSize);
        return epochs * Math.ceilDiv(batches, gradientAccumulation);
    }
}
