package io.peft4j.merge;

import io.peft4j.peft.LayerKind;
import io.peft4j.peft.LoraModule;
import java.util.Arrays;

/**
 * One adapter's change to one base tensor, applied exactly as PEFT's {@code merge} does on CPU with
 * default loading (adapter weights in float32, the base in its own dtype):
 *
 * <ul>
 *   <li>weight, plain LoRA: {@code W = round(W + delta)} with {@code delta = (w*s) * B @ A} in float32
 *       ({@link io.peft4j.peft.LoraDelta}), transposed for Conv1D and Embedding; Embedding rounds the
 *       delta to the base dtype first, as PEFT does ({@code W += delta.to(W.dtype)});</li>
 *   <li>weight, DoRA: {@code W = round((m / ||W0 + delta||) * (W + delta))}, the norm taken per output
 *       feature over the unmerged base weight {@code W0} (rows for Linear and Conv2d, columns of the
 *       transposed Conv1D and Embedding layouts);</li>
 *   <li>bias ({@code lora_bias}): {@code b = round(b + (w*s) * lora_B.bias)}.</li>
 * </ul>
 *
 * {@code round} is to the base tensor's dtype, after each adapter, as PEFT's in-place updates do;
 * {@code w} is the adapter's merge weight, which multiplies PEFT's scaling {@code s}. The update is
 * applied one row of the weight at a time ({@link RowUpdate}).
 */
record TensorUpdate(LoraModule module, double weight, boolean bias, String adapter) {

    /** Reads what this update needs (factors, bias, magnitude) into float32 arrays. */
    RowUpdate prepare() {
        double scale = module.scaling() * weight;
        if (bias) {
            return RowUpdate.bias(module.loraBBias().orElseThrow().toFloatArray(), scale);
        }
        return RowUpdate.weight(module.delta(weight), module.kind() == LayerKind.EMBEDDING,
                module.magnitude().map(m -> m.toFloatArray()).orElse(null), transposed());
    }

    /** {@code (w*s) * B @ A} laid out like the base weight, whole (for checks; a merge goes row by row). */
    float[] delta() {
        return module.delta(weight).toArray();
    }

    /**
     * DoRA's norm per output feature of the unmerged {@code base + delta}, summed in torch's order
     * ({@link TorchNorm}), whole (for checks; a merge accumulates it row by row in {@link RowUpdate}).
     */
    float[] doraNorms(float[] base, float[] delta, int features) {
        int width = transposed() ? features : base.length / features;
        float[] row = new float[width];
        float[] norms = new float[features];
        for (int r = 0; r < base.length / width; r++) {
            for (int i = 0; i < width; i++) {
                row[i] = base[r * width + i] + delta[r * width + i];
            }
            if (transposed()) {
                TorchNorm.addColumnSquares(norms, row, 0);
            } else {
                norms[r] = TorchNorm.row(row, 0, width);
            }
        }
        return transposed() ? TorchNorm.sqrt(norms) : norms;
    }

    /** The output feature that element {@code j} of the base weight belongs to. */
    int feature(int j, int features, int inner) {
        return transposed() ? j % features : j / inner;
    }

    private boolean transposed() {
        return module.kind() == LayerKind.CONV1D || module.kind() == LayerKind.EMBEDDING;
    }

    /** The base shape this update expects, to check against the checkpoint. */
    long[] expectedShape() {
        return bias ? new long[] {module.outFeatures()} : module.baseWeightShape();
    }

    /** Whether {@code shape} fits this update. */
    boolean fits(long[] shape) {
        return Arrays.equals(expectedShape(), shape);
    }
}
