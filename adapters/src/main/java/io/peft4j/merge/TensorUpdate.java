package io.peft4j.merge;

import io.peft4j.peft.LayerKind;
import io.peft4j.peft.LoraModule;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.Tensor;
import java.util.Arrays;

/**
 * One adapter's change to one base tensor, applied exactly as PEFT's {@code merge} does on CPU with
 * default loading (adapter weights in float32, the base in its own dtype):
 *
 * <ul>
 *   <li>weight, plain LoRA: {@code W = round(W + delta)} with {@code delta = (w*s) * B @ A} in float32
 *       ({@link LoraProduct}), transposed for Conv1D and Embedding; Embedding rounds the delta to the
 *       base dtype first, as PEFT does ({@code W += delta.to(W.dtype)});</li>
 *   <li>weight, DoRA: {@code W = round((m / ||W0 + delta||) * (W + delta))}, the norm taken per output
 *       feature over the unmerged base weight {@code W0} (rows for Linear and Conv2d, columns of the
 *       transposed Conv1D and Embedding layouts);</li>
 *   <li>bias ({@code lora_bias}): {@code b = round(b + (w*s) * lora_B.bias)}.</li>
 * </ul>
 *
 * {@code round} is to the base tensor's dtype, after each adapter, as PEFT's in-place updates do;
 * {@code w} is the adapter's merge weight, which multiplies PEFT's scaling {@code s}.
 */
record TensorUpdate(LoraModule module, double weight, boolean bias, String adapter) {

    /** Applies this update to {@code current} (the tensor so far) given the unmerged base {@code base}. */
    void apply(float[] current, float[] base, long[] shape, DType dtype) {
        double scale = module.scaling() * weight;
        if (bias) {
            float[] loraBias = module.loraBBias().orElseThrow().toFloatArray();
            float s = (float) scale;
            for (int j = 0; j < current.length; j++) {
                current[j] = round(current[j] + loraBias[j] * s, dtype);
            }
            return;
        }
        float[] delta = delta();
        if (module.magnitude().isPresent()) {
            applyDora(current, base, delta, module.magnitude().get(), dtype);
        } else {
            boolean roundDeltaFirst = module.kind() == LayerKind.EMBEDDING;
            inChunks(current.length, (from, to) -> {
                for (int j = from; j < to; j++) {
                    float d = roundDeltaFirst ? round(delta[j], dtype) : delta[j];
                    current[j] = round(current[j] + d, dtype);
                }
            });
        }
    }

    /** {@code (w*s) * B @ A} laid out like the base weight. */
    float[] delta() {
        double scale = module.scaling() * weight;
        Tensor a = module.loraA();
        Tensor b = module.loraB();
        int out = Math.toIntExact(b.shape()[0]);
        int rank = module.rank();
        int in = Math.toIntExact(a.numel() / rank);
        float[] product = LoraProduct.scaled(b.toFloatArray(), a.toFloatArray(), out, rank, in, scale);
        return transposed() ? LoraProduct.transpose(product, out, in) : product;
    }

    private boolean transposed() {
        return module.kind() == LayerKind.CONV1D || module.kind() == LayerKind.EMBEDDING;
    }

    private void applyDora(float[] current, float[] base, float[] delta, Tensor magnitudeTensor, DType dtype) {
        float[] magnitude = magnitudeTensor.toFloatArray();
        int features = magnitude.length;
        int inner = current.length / features;
        float[] norms = doraNorms(base, delta, features);
        float[] factor = new float[features];
        for (int o = 0; o < features; o++) {
            factor[o] = magnitude[o] / norms[o];
        }
        for (int j = 0; j < current.length; j++) {
            current[j] = round(factor[feature(j, features, inner)] * (current[j] + delta[j]), dtype);
        }
    }

    /** DoRA's norm per output feature of the unmerged {@code base + delta}, summed in torch's order ({@link TorchNorm}). */
    float[] doraNorms(float[] base, float[] delta, int features) {
        float[] unmerged = new float[base.length];
        for (int j = 0; j < base.length; j++) {
            unmerged[j] = base[j] + delta[j];
        }
        return transposed() ? TorchNorm.columns(unmerged, features) : TorchNorm.rows(unmerged, features, base.length / features);
    }

    /** The output feature that element {@code j} of the base weight belongs to. */
    int feature(int j, int features, int inner) {
        return transposed() ? j % features : j / inner;
    }

    /** The base shape this update expects, to check against the checkpoint. */
    long[] expectedShape() {
        return bias ? new long[] {module.outFeatures()} : module.baseWeightShape();
    }

    /** Whether {@code shape} fits this update. */
    boolean fits(long[] shape) {
        return Arrays.equals(expectedShape(), shape);
    }

    private static final int CHUNK = 1 << 16;

    /** Runs {@code body} over {@code [0, length)} in chunks, in parallel when there are several. */
    static void inChunks(int length, java.util.function.BiConsumer<Integer, Integer> body) {
        int chunks = (length + CHUNK - 1) / CHUNK;
        LoraProduct.rows(chunks, length).forEach(c -> body.accept(c * CHUNK, Math.min(length, (c + 1) * CHUNK)));
    }

    /** {@code value} rounded to {@code dtype} (to nearest even, as torch), returned as float32. */
    static float round(float value, DType dtype) {
        return switch (dtype) {
            case BF16 -> Tensor.bf16BitsToFloat(Tensor.floatToBf16Bits(value));
            case F16 -> Tensor.f16BitsToFloat(Tensor.floatToF16Bits(value));
            default -> value;
        };
    }
}
