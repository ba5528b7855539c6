package io.peft4j.merge;

import io.peft4j.peft.LoraDelta;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.FloatEncoder;

/**
 * A {@link TensorUpdate} ready to apply to a tensor one row at a time, rounding to the base dtype
 * after the update (see {@link TensorUpdate} for the rules). A DoRA update first needs the norms
 * of {@code W0 + delta}: every row of the unmerged weight goes through {@link #addToNorms} in
 * order, then {@link #finishNorms}.
 */
final class RowUpdate {

    private final LoraDelta delta;
    private final boolean roundDeltaFirst;
    private final float[] magnitude;
    private final boolean columns;
    private final float[] bias;
    private final float biasScale;
    private float[] norms;
    private float[] factor;

    private RowUpdate(LoraDelta delta, boolean roundDeltaFirst, float[] magnitude, boolean columns, float[] bias,
                      float biasScale) {
        this.delta = delta;
        this.roundDeltaFirst = roundDeltaFirst;
        this.magnitude = magnitude;
        this.columns = columns;
        this.bias = bias;
        this.biasScale = biasScale;
        if (magnitude != null) {
            this.norms = new float[columns ? magnitude.length : delta.rows()];
        }
    }

    /** {@code b += scale * loraBias}, element by element. */
    static RowUpdate bias(float[] loraBias, double scale) {
        return new RowUpdate(null, false, null, false, loraBias, (float) scale);
    }

    /**
     * A weight update by {@code delta} (rows like the base weight); {@code magnitude} (DoRA) or null;
     * {@code columns} when DoRA's output features are the columns of the layout (Conv1D, Embedding).
     */
    static RowUpdate weight(LoraDelta delta, boolean roundDeltaFirst, float[] magnitude, boolean columns) {
        return new RowUpdate(delta, roundDeltaFirst, magnitude, columns, null, 0f);
    }

    /** Whether this update applies a row of a weight (rather than elements of a bias). */
    boolean byRow() {
        return delta != null;
    }

    /** Whether this is a DoRA update, which needs {@link #addToNorms} over the whole weight first. */
    boolean dora() {
        return magnitude != null;
    }

    /** DoRA: accounts row {@code row} of the unmerged weight ({@code w0}, {@code width} values). */
    void addToNorms(int row, float[] w0, int width, float[] scratch) {
        delta.row(row, scratch, 0);
        for (int i = 0; i < width; i++) {
            scratch[i] = w0[i] + scratch[i];
        }
        if (columns) {
            TorchNorm.addColumnSquares(norms, scratch, 0);
        } else {
            norms[row] = TorchNorm.row(scratch, 0, width);
        }
    }

    /** DoRA: turns the accumulated norms into the per-feature factors {@code m / norm}. */
    void finishNorms() {
        float[] n = columns ? TorchNorm.sqrt(norms) : norms;
        factor = new float[magnitude.length];
        for (int o = 0; o < factor.length; o++) {
            factor[o] = magnitude[o] / n[o];
        }
        norms = null;
    }

    /**
     * Applies this update to {@code values[0 .. count)}: rows {@code firstRow ..} of the tensor
     * ({@code count / width} of them for a weight update), whose first element is element
     * {@code first} of the tensor; {@code scratch} holds at least {@code count} floats.
     */
    void apply(int firstRow, long first, float[] values, int count, float[] scratch, DType dtype) {
        if (bias != null) {
            int from = Math.toIntExact(first);
            for (int j = 0; j < count; j++) {
                values[j] = values[j] + bias[from + j] * biasScale;
            }
        } else {
            int width = delta.width();
            int rows = count / width;
            delta.rows(firstRow, rows, scratch, 0);
            if (factor != null) {
                for (int r = 0; r < rows; r++) {
                    int at = r * width;
                    if (columns) {
                        for (int c = 0; c < width; c++) {
                            values[at + c] = factor[c] * (values[at + c] + scratch[at + c]);
                        }
                    } else {
                        float f = factor[firstRow + r];
                        for (int c = 0; c < width; c++) {
                            values[at + c] = f * (values[at + c] + scratch[at + c]);
                        }
                    }
                }
            } else {
                if (roundDeltaFirst) {
                    FloatEncoder.round(dtype, scratch, 0, count);
                }
                for (int j = 0; j < count; j++) {
                    values[j] = values[j] + scratch[j];
                }
            }
        }
        FloatEncoder.round(dtype, values, 0, count);
    }
}
