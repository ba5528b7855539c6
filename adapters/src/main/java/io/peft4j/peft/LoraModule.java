package io.peft4j.peft;

import io.peft4j.safetensors.Tensor;
import java.util.Arrays;
import java.util.Optional;

/**
 * The LoRA weights of one base module: {@code A}, {@code B}, and optionally the DoRA magnitude and
 * the {@code lora_B} bias, with the module's effective rank and scaling. {@link #delta(double)}
 * gives {@code scaling * B @ A} in float32 ({@link LoraDelta}), laid out like the base weight it is
 * added to.
 */
public final class LoraModule {

    private final String moduleName;
    private final LayerKind kind;
    private final int rank;
    private final double scaling;
    private final Tensor loraA;
    private final Tensor loraB;
    private final Tensor magnitude;
    private final Tensor loraBBias;

    LoraModule(String moduleName, LayerKind kind, int rank, double scaling, Tensor loraA, Tensor loraB,
            Tensor magnitude, Tensor loraBBias) {
        this.moduleName = moduleName;
        this.kind = kind;
        this.rank = rank;
        this.scaling = scaling;
        this.loraA = loraA;
        this.loraB = loraB;
        this.magnitude = magnitude;
        this.loraBBias = loraBBias;
    }

    /**
     * A plain LoRA module built from its two factors, for adapters read from other layouts than a
     * PEFT directory (kohya or diffusers files): {@code A} is {@code [r, in]} (Linear) or
     * {@code [r, in, kh, kw]} (Conv2d), {@code B} is {@code [out, r]} or {@code [out, r, 1, 1]}.
     *
     * @throws IllegalArgumentException when the shapes do not form a LoRA pair of that kind
     */
    public static LoraModule of(String moduleName, LayerKind kind, double scaling, Tensor loraA, Tensor loraB) {
        long[] a = loraA.shape();
        long[] b = loraB.shape();
        boolean fits = switch (kind) {
            case LINEAR -> a.length == 2 && b.length == 2 && b[1] == a[0];
            case CONV2D -> a.length == 4 && b.length == 4 && b[1] == a[0] && b[2] == 1 && b[3] == 1;
            default -> false;
        };
        if (!fits || a[0] <= 0) {
            throw new IllegalArgumentException(moduleName + ": lora_A " + Arrays.toString(a) + " and lora_B "
                    + Arrays.toString(b) + " are not a " + kind + " LoRA pair");
        }
        return new LoraModule(moduleName, kind, Math.toIntExact(a[0]), scaling, loraA, loraB, null, null);
    }

    /** The module name as in the base model, e.g. {@code model.layers.0.self_attn.q_proj}. */
    public String moduleName() {
        return moduleName;
    }

    /** The base tensor this module's delta is added to: {@code <module>.weight}. */
    public String baseWeightName() {
        return moduleName + ".weight";
    }

    /** The base bias that {@code lora_B}'s bias is added to: {@code <module>.bias}. */
    public String baseBiasName() {
        return moduleName + ".bias";
    }

    /** The kind of base layer. */
    public LayerKind kind() {
        return kind;
    }

    /** The rank {@code r} of this module (after {@code rank_pattern}). */
    public int rank() {
        return rank;
    }

    /** The scaling applied to {@code B @ A}: {@code alpha / r} or {@code alpha / sqrt(r)}. */
    public double scaling() {
        return scaling;
    }

    /** {@code lora_A} ({@code lora_embedding_A} for embeddings). */
    public Tensor loraA() {
        return loraA;
    }

    /** {@code lora_B} ({@code lora_embedding_B} for embeddings). */
    public Tensor loraB() {
        return loraB;
    }

    /** The DoRA magnitude vector (one value per output row), when the adapter uses DoRA. */
    public Optional<Tensor> magnitude() {
        return Optional.ofNullable(magnitude);
    }

    /** The bias of {@code lora_B} ({@code lora_bias=True}), added to the base bias on merge. */
    public Optional<Tensor> loraBBias() {
        return Optional.ofNullable(loraBBias);
    }

    /** The shape of the base weight this module belongs to, derived from A and B. */
    public long[] baseWeightShape() {
        long[] a = loraA.shape();
        long[] b = loraB.shape();
        return switch (kind) {
            case LINEAR -> new long[] {b[0], a[1]};
            case CONV1D -> new long[] {a[1], b[0]};
            case EMBEDDING -> new long[] {a[1], b[0]};
            case CONV2D -> {
                long[] s = Arrays.copyOf(a, a.length);
                s[0] = b[0];
                yield s;
            }
        };
    }

    /** The number of output features, i.e. the length of a DoRA magnitude vector. */
    public long outFeatures() {
        return loraB.shape()[0];
    }

    /** Trainable parameters this module holds (A, B, magnitude and bias). */
    public long parameterCount() {
        return loraA.numel() + loraB.numel()
                + (magnitude == null ? 0 : magnitude.numel())
                + (loraBBias == null ? 0 : loraBBias.numel());
    }

    /**
     * {@code scaling * B @ A} in float32, laid out like the base weight (row-major over
     * {@link #baseWeightShape()}): the order torch's CPU matmul uses for most shapes, so this is
     * usually bit-identical to PEFT's {@code get_delta_weight} (see {@link LoraDelta} for the rule and
     * where it is not).
     */
    public float[] deltaWeight() {
        return delta(1.0).toArray();
    }

    /**
     * {@code (weight * scaling) * B @ A}, laid out like the base weight (transposed for Conv1D and
     * Embedding), row by row; the factors are read into float32 arrays once.
     */
    public LoraDelta delta(double weight) {
        float[] a = loraA.toFloatArray();
        float[] b = loraB.toFloatArray();
        int out = Math.toIntExact(loraB.shape()[0]);
        int in = Math.toIntExact(loraA.numel() / rank);
        double scale = scaling * weight;
        boolean transposed = kind == LayerKind.CONV1D || kind == LayerKind.EMBEDDING;
        return transposed ? LoraDelta.transposed(b, a, out, rank, in, scale) : LoraDelta.of(b, a, out, rank, in, scale);
    }

    @Override
    public String toString() {
        return moduleName + " " + kind + " r=" + rank + " scaling=" + scaling;
    }
}
