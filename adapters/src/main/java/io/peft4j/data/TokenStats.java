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
 * @param untrainable examples with no completion token within {@code maxLength} (the prompt fills it),
 *     which the trainer drops
 */
public record TokenStats(Path file, DatasetFormat format, boolean estimated, int maxLength,
                         LengthDistribution lengths, long promptTokens, long completionTokens, long untrainable) {

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
        long[] sums = new long[3];
        DatasetFormat[] format = new DatasetFormat[1];
        List<Example> batch = new ArrayList<>(BATCH);
        try (Stream<Example> examples = Dataset.read(file)) {
            examples.forEach(example -> {
                format[0] = example.format();
                batch.add(example);
                if (batch.size() == BATCH) {
                    add(counter.count(batch), maxLength, lengths, sums);
                    batch.clear();
                }
            });
        }
        add(counter.count(batch), maxLength, lengths, sums);
        return new TokenStats(file, format[0], format[0] == DatasetFormat.MESSAGES, maxLength, lengths,
                sums[0], sums[1], sums[2]);
    }

    /** Adds a batch: lengths to the distribution, then prompt, completion and untrainable to {@code sums}. */
    private static void add(List<TokenCount> counts, int maxLength, LengthDistribution lengths, long[] sums) {
        for (TokenCount count : counts) {
            lengths.add(count.length());
            sums[0] += count.promptTokens();
            sums[1] += count.completionTokens();
            int limit = maxLength == 0 ? Integer.MAX_VALUE : maxLength;
            if (count.completionTokens() == 0 || count.promptTokens() >= limit) {
                sums[2]++;
            }
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
     * Optimizer steps a run over all trainable examples takes, as peft4j's trainer plans them
     * ({@code planned_steps}): {@code max(1, ceil(epochs * max(1, floor(ceil(n / batchSize) / gradientAccumulation))))}
     * with {@code n} = examples minus {@link #untrainable()}. An evaluation split taken from the same
     * file lowers {@code n}.
     *
     * @param batchSize examples per batch
     * @param gradientAccumulation batches per optimizer step
     * @param epochs passes over the data (may be fractional)
     */
    public long optimizerSteps(int batchSize, int gradientAccumulation, double epochs) {
        if (batchSize < 1 || gradientAccumulation < 1 || !(epochs > 0)) {
            throw new IllegalArgumentException("batch size, gradient accumulation and epochs must be positive");
        }
        long batches = Math.ceilDiv(examples() - untrainable, batchSize);
        long perEpoch = Math.max(1, batches / gradientAccumulation);
        return Math.max(1, (long) Math.ceil(epochs * perEpoch));
    }
}
