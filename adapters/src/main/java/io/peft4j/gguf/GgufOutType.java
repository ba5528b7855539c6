package io.peft4j.gguf;

import java.util.Locale;

/**
 * The tensor type of an exported adapter, as {@code convert_lora_to_gguf.py --outtype} takes it.
 * Q8_0 needs rows that are a multiple of 32 elements; like the converter, a factor whose rows are
 * not (usually {@code lora_b}, whose rows are the rank) is written as F16 instead.
 */
public enum GgufOutType {
    /** float32: the factors exactly as trained (bit-identical to the converter's). */
    F32(GgmlType.F32),
    /** IEEE float16, rounded to nearest even. */
    F16(GgmlType.F16),
    /** bfloat16, rounded to nearest even. */
    BF16(GgmlType.BF16),
    /** 8-bit blocks of 32 with an F16 scale. */
    Q8_0(GgmlType.Q8_0);

    private final GgmlType type;

    GgufOutType(GgmlType type) {
        this.type = type;
    }

    /** The ggml type asked for. */
    GgmlType type() {
        return type;
    }

    /** The ggml type of a factor whose rows have {@code rowLength} elements. */
    GgmlType typeFor(long rowLength) {
        return rowLength % type.blockSize() == 0 ? type : GgmlType.F16;
    }

    /** The type named as on the command line: f32, f16, bf16 or q8_0 (any case). */
    public static GgufOutType parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown outtype '" + name + "' (f32, f16, bf16 or q8_0)");
        }
    }
}
