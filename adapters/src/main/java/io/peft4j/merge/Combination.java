package io.peft4j.merge;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The element-wise ways of combining task tensors {@code t_i} (same shape) with weights {@code w_i},
 * exactly as PEFT's {@code utils/merge_utils.py}. All arithmetic is float32 in PEFT's order.
 *
 * <ul>
 *   <li>{@link #TASK_ARITHMETIC}: {@code sum_i w_i * t_i}.</li>
 *   <li>{@link #MAGNITUDE_PRUNE}: each {@code t_i} keeps its {@code k = int(density * numel)} largest
 *       magnitudes (the rest set to 0), then {@code sum_i w_i * t_i}.</li>
 *   <li>{@link #TIES}: magnitude pruning as above; per element the majority sign {@code g} is elected on
 *       the pruned, unweighted tensors ({@link MajoritySign}); the result is the sum of the weighted
 *       values whose sign equals {@code g}, divided by how many there are (at least 1). Unlike mergekit,
 *       the sign vote ignores the weights and the division is by the count, not the sum of weights.</li>
 *   <li>{@link #DARE_LINEAR}: each element of each {@code t_i} is kept with probability {@code density}
 *       and the kept ones divided by {@code density} (so the expectation is unchanged), then
 *       {@code sum_i w_i * t_i}.</li>
 *   <li>{@link #DARE_TIES}: DARE's random pruning, then TIES' sign election and disjoint merge.</li>
 * </ul>
 *
 * A {@code density} of 1 or more leaves the tensors unpruned, as in PEFT.
 */
public enum Combination {
    /** Weighted sum. */
    TASK_ARITHMETIC,
    /** Magnitude pruning, then weighted sum. */
    MAGNITUDE_PRUNE,
    /** Magnitude pruning, sign election, disjoint merge. */
    TIES,
    /** Random pruning with rescaling, then weighted sum. */
    DARE_LINEAR,
    /** Random pruning with rescaling, sign election, disjoint merge. */
    DARE_TIES;

    /**
     * Combines the task tensors.
     *
     * @param tasks    the tensors, all of the same length; not modified
     * @param weights  one float32 weight per tensor
     * @param density  fraction of values kept by the pruning methods (ignored by {@link #TASK_ARITHMETIC})
     * @param sign     the sign election of the TIES methods
     * @param random   the random source of the DARE methods
     */
    public float[] apply(float[][] tasks, float[] weights, double density, MajoritySign sign, SplittableRandom random) {
        if (tasks.length == 0 || tasks.length != weights.length) {
            throw new IllegalArgumentException("need one weight per task tensor, got " + tasks.length + " and " + weights.length);
        }
        float[][] pruned = new float[tasks.length][];
        for (int i = 0; i < tasks.length; i++) {
            pruned[i] = switch (this) {
                case TASK_ARITHMETIC -> tasks[i];
                case MAGNITUDE_PRUNE, TIES -> magnitudePrune(tasks[i], density);
                case DARE_LINEAR, DARE_TIES -> randomPrune(tasks[i], density, random);
            };
        }
        return switch (this) {
            case TASK_ARITHMETIC, MAGNITUDE_PRUNE, DARE_LINEAR -> weightedSum(pruned, weights);
            case TIES, DARE_TIES -> disjointMerge(pruned, weights, sign);
        };
    }

    /** {@code sum_i w_i * t_i}, each product rounded to float32, summed in order. */
    static float[] weightedSum(float[][] tasks, float[] weights) {
        float[] out = new float[tasks[0].length];
        for (int i = 0; i < tasks.length; i++) {
            float[] t = tasks[i];
            float w = weights[i];
            for (int j = 0; j < out.length; j++) {
                float weighted = t[j] * w;
                out[j] = i == 0 ? weighted : out[j] + weighted;
            }
        }
        return out;
    }

    /** Keeps the {@code int(density * numel)} largest magnitudes of {@code t}; returns {@code t} itself when density >= 1. */
    static float[] magnitudePrune(float[] t, double density) {
        checkDensity(density);
        if (density >= 1) {
            return t;
        }
        int k = (int) (density * t.length);
        float[] out = new float[t.length];
        if (k == 0) {
            return out;
        }
        float[] magnitudes = new float[t.length];
        for (int j = 0; j < t.length; j++) {
            magnitudes[j] = Math.abs(t[j]);
        }
        float[] sorted = magnitudes.clone();
        Arrays.sort(sorted);
        float threshold = sorted[t.length - k];
        int aboveThreshold = 0;
        for (float m : magnitudes) {
            if (m > threshold) {
                aboveThreshold++;
            }
        }
        int tiesToKeep = k - aboveThreshold;
        for (int j = 0; j < t.length; j++) {
            if (magnitudes[j] > threshold) {
                out[j] = t[j];
            } else if (magnitudes[j] == threshold && tiesToKeep > 0) {
                out[j] = t[j];
                tiesToKeep--;
            }
        }
        return out;
    }

    /** Keeps each value with probability {@code density}, divided by {@code density}; returns {@code t} when density >= 1. */
    static float[] randomPrune(float[] t, double density, SplittableRandom random) {
        checkDensity(density);
        if (density >= 1) {
            return t;
        }
        float d = (float) density;
        float[] out = new float[t.length];
        for (int j = 0; j < t.length; j++) {
            if (random.nextDouble() < density) {
                out[j] = t[j] / d;
            }
        }
        return out;
    }

    /** TIES: sign elected on the unweighted tensors, mean of the agreeing weighted values. */
    static float[] disjointMerge(float[][] tasks, float[] weights, MajoritySign method) {
        int n = tasks[0].length;
        float[] out = new float[n];
        for (int j = 0; j < n; j++) {
            float vote = 0;
            for (float[] t : tasks) {
                vote += method == MajoritySign.TOTAL ? t[j] : Math.signum(t[j]);
            }
            float majority = vote >= 0 ? 1 : -1;
            float sum = 0;
            int agreeing = 0;
            for (int i = 0; i < tasks.length; i++) {
                if (Math.signum(tasks[i][j]) == majority) {
                    sum += tasks[i][j] * weights[i];
                    agreeing++;
                }
            }
            out[j] = sum / Math.max(agreeing, 1);
        }
        return out;
    }

    private static void checkDensity(double density) {
        if (!(density >= 0)) {
            throw new MergeException("density must be between 0 and 1, got " + density);
        }
    }
}
