package io.peft4j.merge;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LowRankSvdTest {

    static double relativeError(float[] actual, float[] expected) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < actual.length; i++) {
            double d = actual[i] - expected[i];
            num += d * d;
            den += (double) expected[i] * expected[i];
        }
        return Math.sqrt(num / den);
    }

    @Test
    void factoredSvdEqualsDenseSvdAndReconstructsAFullRankProduct() {
        Random rnd = new Random(5);
        int out = 40;
        int in = 30;
        int stacked = 6;
        float[] b = new float[out * stacked];
        float[] a = new float[stacked * in];
        for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        float[] delta = LoraProduct.scaled(b, a, out, stacked, in, 1);
        LoraFactors viaQr = LowRankSvd.ofProduct(b, a, out, stacked, in, stacked);
        assertTrue(relativeError(viaQr.product(), delta) < 1e-6);
        LoraFactors truncatedQr = LowRankSvd.ofProduct(b, a, out, stacked, in, 3);
        LoraFactors truncatedDense = LowRankSvd.ofMatrix(delta, out, in, 3);
        assertTrue(relativeError(truncatedQr.product(), truncatedDense.product()) < 1e-5);
        // more rank asked than exists: zero-padded, still exact
        LoraFactors padded = LowRankSvd.ofProduct(b, a, out, stacked, in, 8);
        assertTrue(relativeError(padded.product(), delta) < 1e-6);
    }
}
