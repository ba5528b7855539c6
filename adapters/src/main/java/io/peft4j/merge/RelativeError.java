package io.peft4j.merge;

/** How far one tensor is from another, for comparing merges and soups with references. */
public final class RelativeError {

    private RelativeError() {}

    /** {@code ||actual - expected||_F / ||expected||_F}, summed in double precision. */
    public static double frobenius(float[] actual, float[] expected) {
        if (actual.length != expected.length) {
            throw new IllegalArgumentException("lengths differ: " + actual.length + " and " + expected.length);
        }
        double num = 0;
        double den = 0;
        for (int i = 0; i < actual.length; i++) {
            double d = (double) actual[i] - expected[i];
            num += d * d;
            den += (double) expected[i] * expected[i];
        }
        return Math.sqrt(num / den);
    }
}
