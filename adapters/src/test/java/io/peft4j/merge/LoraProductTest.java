package io.peft4j.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The SIMD path (this module's tests run with the Vector API) gives the scalar path's exact bits. */
class LoraProductTest {

    @Test
    void vectorAndScalarFusedMultiplyAddsAreBitIdentical() {
        assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(), "tests run with the Vector API");
        Random rnd = new Random(9);
        int out = 37;
        int rank = 5;
        int in = 203; // not a multiple of the SIMD width: the tail runs scalar
        float[] a = new float[rank * in];
        float[] b = new float[out * rank];
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextGaussian();
        float s = (float) (16.0 / 6);
        float[] expected = new float[out * in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                float acc = 0;
                for (int k = 0; k < rank; k++) {
                    acc = Math.fma(b[o * rank + k], a[k * in + i], acc);
                }
                expected[o * in + i] = acc * s;
            }
        }
        assertArrayEquals(expected, LoraProduct.scaled(b, a, out, rank, in, 16.0 / 6));
    }
}
