package io.peft4j.extract;

import io.peft4j.peft.LoraDelta;
import io.peft4j.peft.LoraModule;
import io.peft4j.safetensors.Tensor;

/**
 * The update a DoRA module makes to a linear base weight, as PEFT merges it:
 * {@code W' = (m / rownorm(W + s B A)) * (W + s B A)}, so {@code delta = W' - W}, with the norm taken
 * per output row of the unmerged weight. It depends on the base weights and is not low-rank in
 * general, so it is decomposed like a task vector, row block by row block.
 */
final class DoraDelta implements DeltaMatrix {

    private final Tensor base;
    private final LoraDelta delta;
    private final float[] magnitude;
    private final int rows;
    private final int cols;
    private float[] baseRows = new float[0];

    DoraDelta(LoraModule module, Tensor base) {
        this.base = base;
        this.magnitude = module.magnitude().orElseThrow().toFloatArray();
        this.rows = Math.toIntExact(base.shape()[0]);
        this.cols = Math.toIntExact(base.shape()[1]);
        this.delta = LoraDelta.of(module.loraB().toFloatArray(), module.loraA().toFloatArray(), rows, module.rank(), cols,
                module.scaling());
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public void read(int first, int count, float[] dst) {
        int n = count * cols;
        if (baseRows.length < n) {
            baseRows = new float[n];
        }
        base.toFloats((long) first * cols, baseRows, 0, n);
        delta.rows(first, count, dst, 0);
        for (int r = 0; r < count; r++) {
            int o = first + r;
            int row = r * cols;
            for (int i = 0; i < cols; i++) {
                dst[row + i] += baseRows[row + i];
            }
            double norm = 0;
            for (int i = 0; i < cols; i++) {
                norm += (double) dst[row + i] * dst[row + i];
            }
            float factor = (float) (magnitude[o] / Math.sqrt(norm));
            for (int i = 0; i < cols; i++) {
                dst[row + i] = dst[row + i] * factor - baseRows[row + i];
            }
        }
    }
}
