package io.peft4j.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How many examples have each token length: exact percentiles and histograms in memory proportional
 * to the longest example, not to the number of examples.
 */
public final class LengthDistribution {

    private long[] counts = new long[256];
    private long examples;
    private long tokens;
    private int min = Integer.MAX_VALUE;
    private int max;

    /** Records one example of {@code length} tokens. */
    public void add(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        if (length >= counts.length) {
            counts = Arrays.copyOf(counts, Math.max(counts.length * 2, length + 1));
        }
        counts[length]++;
        examples++;
        tokens += length;
        min = Math.min(min, length);
        max = Math.max(max, length);
    }

    /** The number of examples recorded. */
    public long examples() {
        return examples;
    }

    /** The sum of all lengths. */
    public long tokens() {
        return tokens;
    }

    /** The shortest length, 0 when empty. */
    public int min() {
        return examples == 0 ? 0 : min;
    }

    /** The longest length, 0 when empty. */
    public int max() {
        return max;
    }

    /** The mean length, 0 when empty. */
    public double mean() {
        return examples == 0 ? 0 : (double) tokens / examples;
    }

    /**
     * The nearest-rank percentile: the smallest length that at least {@code percent}% of the examples
     * do not exceed (0 when empty).
     */
    public int percentile(double percent) {
        if (percent <= 0 || percent > 100) {
            throw new IllegalArgumentException("percent must be in (0, 100]: " + percent);
        }
        long rank = (long) Math.ceil(percent / 100 * examples);
        long seen = 0;
        for (int length = min(); length <= max; length++) {
            seen += counts[length];
            if (seen >= rank) {
                return length;
            }
        }
        return max;
    }

    /** The number of examples longer than {@code limit} tokens. */
    public long countAbove(int limit) {
        long n = 0;
        for (int length = limit + 1; length <= max; length++) {
            n += counts[length];
        }
        return n;
    }

    /** The tokens cut off when every example is truncated to {@code limit}. */
    public long tokensAbove(int limit) {
        long n = 0;
        for (int length = limit + 1; length <= max; length++) {
            n += counts[length] * (length - limit);
        }
        return n;
    }

    /** Up to {@code bins} equal-width bins from the shortest to the longest length. */
    public List<Bin> histogram(int bins) {
        if (bins < 1) {
            throw new IllegalArgumentException("bins must be positive: " + bins);
        }
        List<Bin> histogram = new ArrayList<>();
        if (examples == 0) {
            return histogram;
        }
        int width = Math.ceilDiv(max - min() + 1, bins);
        for (int from = min(); from <= max; from += width) {
            int to = Math.min(max, from + width - 1);
            long n = 0;
            for (int length = from; length <= to; length++) {
                n += counts[length];
            }
            histogram.add(new Bin(from, to, n));
        }
        return histogram;
    }

    /**
     * One histogram bar.
     *
     * @param from shortest length in the bin
     * @param to longest length in the bin, inclusive
     * @param examples number of examples in the bin
     */
    public record Bin(int from, int to, long examples) {}
}
