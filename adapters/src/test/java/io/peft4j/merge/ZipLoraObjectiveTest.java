package io.peft4j.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ZipLoraObjectiveTest {

    private static LoraFactors random(Random rnd, int out, int rank, int in) {
        float[] b = new float[out * rank];
        float[] a = new float[rank * in];
        for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        return new LoraFactors(b, a, out, rank, in);
    }

    private static double[] randomVector(Random rnd, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = 1 + 0.5 * rnd.nextGaussian();
        return v;
    }

    @Test
    void analyticGradientMatchesFiniteDifferences() {
        Random rnd = new Random(1);
        int in = 12;
        for (float[] calibration : new float[][] {null, randomCalibration(rnd, 7, in)}) {
            ZipLoraObjective objective = ZipLoraObjective.of(random(rnd, 9, 3, in), 0.5, random(rnd, 9, 2, in), 2.0,
                    calibration, calibration, 0.3);
            double[] m1 = randomVector(rnd, in);
            double[] m2 = randomVector(rnd, in);
            double[] g1 = new double[in];
            double[] g2 = new double[in];
            objective.valueAndGradient(m1, m2, g1, g2);
            double h = 1e-6;
            for (int j = 0; j < in; j++) {
                assertEquals(centralDifference(objective, m1, m2, j, true, h), g1[j], 1e-5 * Math.max(1, Math.abs(g1[j])));
                assertEquals(centralDifference(objective, m1, m2, j, false, h), g2[j], 1e-5 * Math.max(1, Math.abs(g2[j])));
            }
        }
    }

    private static float[] randomCalibration(Random rnd, int n, int in) {
        float[] x = new float[n * in];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    private static double centralDifference(ZipLoraObjective f, double[] m1, double[] m2, int j, boolean first, double h) {
        double[] v = first ? m1 : m2;
        double saved = v[j];
        v[j] = saved + h;
        double plus = f.value(m1, m2);
        v[j] = saved - h;
        double minus = f.value(m1, m2);
        v[j] = saved;
        return (plus - minus) / (2 * h);
    }

    @Test
    void optimisedMergeInterferesLessThanThePlainSum() {
        Random rnd = new Random(2);
        // two adapters reading overlapping input directions: the plain sum (m = 1) disturbs both
        LoraFactors content = random(rnd, 32, 4, 24);
        LoraFactors style = random(rnd, 32, 4, 24);
        ZipLoraObjective objective = ZipLoraObjective.of(content, 1.0, style, 1.0, null, null,
                ZipLoraObjective.DEFAULT_LAMBDA);
        ZipLoraObjective.Mergers result = objective.minimise(ZipLoraObjective.DEFAULT_STEPS,
                ZipLoraObjective.DEFAULT_LEARNING_RATE);
        double[] ones = new double[24];
        java.util.Arrays.fill(ones, 1);
        assertEquals(objective.value(ones, ones), result.initialLoss(), 1e-12);
        assertTrue(result.finalLoss() < 0.8 * result.initialLoss(),
                "ZipLoRA objective " + result.finalLoss() + " should be well below the plain sum's " + result.initialLoss());
    }

    @Test
    void disjointAdaptersNeedNoChange() {
        // adapter 1 reads only features 0..5, adapter 2 only 6..11: the plain sum already reproduces both
        Random rnd = new Random(3);
        LoraFactors first = random(rnd, 8, 2, 12);
        LoraFactors second = random(rnd, 8, 2, 12);
        for (int r = 0; r < 2; r++) {
            for (int j = 0; j < 12; j++) {
                if (j >= 6) first.a()[r * 12 + j] = 0;
                else second.a()[r * 12 + j] = 0;
            }
        }
        ZipLoraObjective objective = ZipLoraObjective.of(first, 1, second, 1, null, null, 0);
        double[] ones = new double[12];
        java.util.Arrays.fill(ones, 1);
        assertEquals(0, objective.value(ones, ones), 1e-9);
    }
}
