package io.peft4j.merge;

import io.peft4j.peft.LoraDelta;

/**
 * A LoRA pair in PEFT's orientation: {@code B} row-major {@code [out, rank]}, {@code A} row-major
 * {@code [rank, in]}; the adapter's update is {@code B @ A} (scaling already folded in, or applied by
 * the config it is written with).
 */
public record LoraFactors(float[] b, float[] a, int out, int rank, int in) {

    /** Checks the array lengths against the shape. */
    public LoraFactors {
        if (b.length != (long) out * rank || a.length != (long) rank * in) {
            throw new IllegalArgumentException("factor sizes " + b.length + ", " + a.length
                    + " do not fit out=" + out + " rank=" + rank + " in=" + in);
        }
    }

    /** The product {@code B @ A}, row-major {@code [out, in]}. */
    public float[] product() {
        return LoraDelta.of(b, a, out, rank, in, 1.0).toArray();
    }
}
