package io.peft4j.safetensors;

/**
 * An element type of a safetensors tensor, named as in the file header ({@code "BF16"},
 * {@code "F8_E4M3"}, ...). All types here are whole bytes wide and little-endian on disk.
 */
public enum DType {
    /** IEEE 754 binary64. */
    F64(8, 19, true),
    /** IEEE 754 binary32. */
    F32(4, 17, true),
    /** IEEE 754 binary16. */
    F16(2, 13, true),
    /** bfloat16: the upper half of a binary32. */
    BF16(2, 14, true),
    /** Signed 64-bit integer. */
    I64(8, 20, false),
    /** Signed 32-bit integer. */
    I32(4, 15, false),
    /** Signed 16-bit integer. */
    I16(2, 11, false),
    /** Signed 8-bit integer. */
    I8(1, 5, false),
    /** Unsigned 8-bit integer. */
    U8(1, 4, false),
    /** Boolean, one byte per element (0 or 1). */
    BOOL(1, 0, false),
    /** OCP FP8 E4M3FN: no infinities, NaN at 0x7F and 0xFF, largest finite 448. */
    F8_E4M3(1, 7, true),
    /** OCP FP8 E5M2: IEEE-like with infinities and NaNs, largest finite 57344. */
    F8_E5M2(1, 6, true),
    /** Unsigned 16-bit integer. */
    U16(2, 12, false),
    /** Unsigned 32-bit integer. */
    U32(4, 16, false),
    /** Unsigned 64-bit integer. */
    U64(8, 21, false);

    private final int byteSize;
    private final int referenceRank;
    private final boolean floatingPoint;

    DType(int byteSize, int referenceRank, boolean floatingPoint) {
        this.byteSize = byteSize;
        this.referenceRank = referenceRank;
        this.floatingPoint = floatingPoint;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The name used in safetensors headers, e.g. {@code "BF16"}. */
    public String safetensorsName() {
        return name();
    }

    /** Whether the elements are floating-point numbers (and so convertible to float32). */
    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /**
     * Position of this type in the Rust reference's {@code Dtype} declaration order, which the
     * reference writer uses to order tensors (descending) in a file.
     */
    int referenceRank() {
        return referenceRank;
    }

    /**
     * The type with the given header name (exact, case-sensitive as in the reference).
     *
     * @throws IllegalArgumentException if no type has that name
     */
    public static DType fromSafetensorsName(String name) {
        DType type = lookup(name);
        if (type == null) {
            throw new IllegalArgumentException("unknown safetensors dtype " + name);
        }
        return type;
    }

    /** The type with the given header name, or null. */
    static DType lookup(String name) {
        return switch (name) {
            case "F64" -> F64;
            case "F32" -> F32;
            case "F16" -> F16;
            case "BF16" -> BF16;
            case "I64" -> I64;
            case "I32" -> I32;
            case "I16" -> I16;
            case "I8" -> I8;
            case "U8" -> U8;
            case "BOOL" -> BOOL;
            case "F8_E4M3" -> F8_E4M3;
            case "F8_E5M2" -> F8_E5M2;
            case "U16" -> U16;
            case "U32" -> U32;
            case "U64" -> U64;
            default -> null;
        };
    }
}
