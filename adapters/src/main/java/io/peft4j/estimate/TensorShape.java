package io.peft4j.estimate;

import java.util.Arrays;

/**
 * One parameter tensor of a model as transformers names it in {@code state_dict()}.
 *
 * @param name  the state_dict key, e.g. {@code model.layers.0.self_attn.q_proj.weight}
 * @param shape the dimensions, outermost first
 */
public record TensorShape(String name, long[] shape) {

    /** Copies the shape so the record stays immutable. */
    public TensorShape {
        shape = shape.clone();
    }

    /** The dimensions (a copy). */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The number of elements. */
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorShape t && t.name.equals(name) && Arrays.equals(t.shape, shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
