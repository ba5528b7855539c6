package io.peft4j.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CombinationTest {

    private static final SplittableRandom NO_RANDOM = new SplittableRandom(0);

    @Test
    void tiesElectsTheSignOnUnweightedValuesAndAveragesTheAgreeingOnes() {
        float[][] tasks = {{3, -1, 2, 0}, {-1, -4, 2, 5}, {2, 1, -5, 0}};
        float[] weights = {1, 2, 0.5f};
        float[] merged = Combination.TIES.apply(tasks, weights, 1.0, MajoritySign.TOTAL, NO_RANDOM);
        // element 0: votes 3-1+2=4 -> +, agreeing 3*1 and 2*0.5 -> (3+1)/2
        // element 1: -1-4+1 -> -, agreeing -1*1 and -4*2 -> -9/2
        // element 2: 2+2-5 -> -, agreeing -5*0.5 -> -2.5
        // element 3: only 5 -> +, 5*2 / 1
        assertArrayEquals(new float[] {2, -4.5f, -2.5f, 10}, merged);
        float[] frequency = Combination.TIES.apply(tasks, weights, 1.0, MajoritySign.FREQUENCY, NO_RANDOM);
        // element 2: two positive, one negative -> +, agreeing 2*1 and 2*2 -> 3
        assertEquals(3, frequency[2]);
    }

    @Test
    void magnitudePruneKeepsIntDensityTimesNumelLargest() {
        float[] t = {0.1f, -5, 3, -0.2f, 4, 1};
        assertArrayEquals(new float[] {0, -5, 3, 0, 4, 0}, Combination.magnitudePrune(t, 0.55)); // int(3.3) = 3
        assertArrayEquals(new float[6], Combination.magnitudePrune(t, 0.1));
        assertArrayEquals(t, Combination.magnitudePrune(t, 1.0));
    }

    @Test
    void dareKeepsDensityFractionRescaledAndIsSeeded() {
        int n = 200_000;
        float[] t = new float[n];
        java.util.Arrays.fill(t, 2f);
        double density = 0.3;
        float[] pruned = Combination.randomPrune(t, density, new SplittableRandom(42));
        int kept = 0;
        for (float v : pruned) {
            if (v != 0) {
                kept++;
                assertEquals(2f / 0.3f, v);
            }
        }
        double sd = Math.sqrt(n * density * (1 - density));
        assertTrue(Math.abs(kept - n * density) < 5 * sd, "kept " + kept + " of " + n);
        assertArrayEquals(pruned, Combination.randomPrune(t, density, new SplittableRandom(42)));
    }

    @Test
    void weightedSumRoundsEachProductLikeTorch() {
        float[][] tasks = {{1.1f, 2.2f}, {3.3f, -4.4f}};
        float[] weights = {0.3f, 0.7f};
        float[] sum = Combination.TASK_ARITHMETIC.apply(tasks, weights, 1, MajoritySign.TOTAL, NO_RANDOM);
        assertEquals((1.1f * 0.3f) + (3.3f * 0.7f), sum[0]);
    }
}
