package io.peft4j.merge;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.peft.LoraDelta;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LowRankSvdTest {

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
        float[] delta = LoraDelta.of(b, a, out, stacked, in, 1).toArray();
        LoraFactors viaQr = LowRankSvd.ofProduct(b, a, out, stacked, in, stacked);
        assertTrue(RelativeError.frobenius(viaQr.product(), delta) < 1e-6);
        LoraFactors truncatedQr = LowRankSvd.ofProduct(b, a, out, stacked, in, 3);
        LoraFactors truncatedDense = LowRankSvd.ofMatrix(delta, out, in, 3);
        assertTrue(RelativeError.frobenius(truncatedQr.product(), truncatedDense.product()) < 1e-5);
        // more rank asked than exists: zero-padded, still exact
        LoraFactors padded = LowRankSvd.ofProduct(b, a, out, stacked, in, 8);
        assertTrue(RelativeError.frobenius(padded.product(), delta) < 1e-6);
    }
}
