package io.peft4j.extract;

import io.peft4j.safetensors.Tensor;

/**
 * The task vector of one weight, {@code W_tuned - W_base}, decoded row block by row block straight
 * from the two memory-mapped tensors (any float dtype) into float32. Read by one thread at a time.
 */
final class TaskVector implements DeltaMatrix {

    private final Tensor tuned;
    private final Tensor base;
    private final int rows;
    private final int cols;
    private float[] scratch = new float[0];

    TaskVector(Tensor tuned, Tensor base) {
        long[] shape = tuned.shape();
        this.tuned = tuned;
        this.base = base;
        this.rows = Math.toIntExact(shape[0]);
        this.cols = Math.toIntExact(shape[1]);
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
        if (scratch.length < n) {
            scratch = new float[n];
        }
        float[] b = scratch;
        long offset = (long) first * cols;
        tuned.toFloats(offset, dst, 0, n);
        base.toFloats(offset, b, 0, n);
        for (int i = 0; i < n; i++) {
            dst[i] -= b[i];
        }
    }
}
