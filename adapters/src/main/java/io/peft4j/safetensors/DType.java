package io.peft4j.safetensors;

/**
 * An element type of a safetensors tensor, named as in the file header ({@code "BF16"},
 * {@code "F8_E4M3"}, ...): every type safetensors 0.8 knows. Elements are little-endian on disk;
 * F4 and F6 elements are smaller than a byte and packed, so a tensor of them must fill whole bytes.
 */
public enum DType {
    /** IEEE 754 binary64. */
    F64(64, 19, true),
    /** IEEE 754 binary32. */
    F32(32, 17, true),
    /** IEEE 754 binary16. */
    F16(16, 13, true),
    /** bfloat16: the upper half of a binary32. */
    BF16(16, 14, true),
    /** Signed 64-bit integer. */
    I64(64, 20, false),
    /** Signed 32-bit integer. */
    I32(32, 15, false),
    /** Signed 16-bit integer. */
    I16(16, 11, false),
    /** Signed 8-bit integer. */
    I8(8, 5, false),
    /** Unsigned 8-bit integer. */
    U8(8, 4, false),
    /** Boolean, one byte per element (0 or 1). */
    BOOL(8, 0, false),
    /** OCP FP8 E4M3FN: no infinities, NaN at 0x7F and 0xFF, largest finite 448. */
    F8_E4M3(8, 7, true),
    /** OCP FP8 E5M2: IEEE-like with infinities and NaNs, largest finite 57344. */
    F8_E5M2(8, 6, true),
    /** Unsigned 16-bit integer. */
    U16(16, 12, false),
    /** Unsigned 32-bit integer. */
    U32(32, 16, false),
    /** Unsigned 64-bit integer. */
    U64(64, 21, false),
    /** OCP MX E8M0 scale ({@code torch.float8_e8m0fnu}): a power of two {@code 2^(bits-127)}, NaN at 0xFF. */
    F8_E8M0(8, 8, true),
    /** FP8 E4M3FNUZ (bias 8, no infinities, no negative zero: NaN at 0x80), largest finite 240. */
    F8_E4M3FNUZ(8, 9, true),
    /** FP8 E5M2FNUZ (bias 16, no infinities, no negative zero: NaN at 0x80), largest finite 57344. */
    F8_E5M2FNUZ(8, 10, true),
    /**
     * OCP MX FP4 E2M1, two elements per byte ({@code torch.float4_e2m1fn_x2}); the header's shape
     * counts elements. Read as raw bytes: torch converts it to no other type either.
     */
    F4(4, 1, false),
    /** OCP MX FP6 E2M3, four elements in three bytes. Read as raw bytes (torch has no such type). */
    F6_E2M3(6, 2, false),
    /** OCP MX FP6 E3M2, four elements in three bytes. Read as raw bytes (torch has no such type). */
    F6_E3M2(6, 3, false),
    /** Complex: a pair of binary32 (real, imaginary) per element. Read as raw bytes. */
    C64(64, 18, false);

    private final int bitSize;
    private final int referenceRank;
    private final boolean floatingPoint;

    DType(int bitSize, int referenceRank, boolean floatingPoint) {
        this.bitSize = bitSize;
        this.referenceRank = referenceRank;
        this.floatingPoint = floatingPoint;
    }

    /** Bits per element: 4 for F4, 6 for F6, otherwise a multiple of 8. */
    public int bitSize() {
        return bitSize;
    }

    /**
     * Bytes per element.
     *
     * @throws UnsupportedOperationException for F4 and F6, whose elements are smaller than a byte
     *                                       (use {@link #byteSize(long)})
     */
    public int byteSize() {
        if (bitSize % 8 != 0) {
            throw new UnsupportedOperationException(name() + " elements are " + bitSize + " bits, less than a byte");
        }
        return bitSize / 8;
    }

    /**
     * The bytes {@code numel} elements take, as the reference computes them.
     *
     * @throws ArithmeticException      if the size overflows 64 bits
     * @throws IllegalArgumentException if sub-byte elements do not fill whole bytes (the reference's
     *                                  {@code MisalignedSlice})
     */
    public long byteSize(long numel) {
        long bits = Math.multiplyExact(numel, (long) bitSize);
        if (bits % 8 != 0) {
            throw new IllegalArgumentException(numel + " " + name() + " elements take " + bits
                    + " bits, which do not fill whole bytes");
        }
        return bits / 8;
    }

    /** The name used in safetensors headers, e.g. {@code "BF16"}. */
    public String safetensorsName() {
        return name();
    }

    /**
     * Whether the elements convert to float32: F64, F32, F16, BF16 and the five 8-bit floats. The
     * packed F4 and F6 floats and complex C64 are read as raw bytes only.
     */
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
            case "F8_E8M0" -> F8_E8M0;
            case "F8_E4M3FNUZ" -> F8_E4M3FNUZ;
            case "F8_E5M2FNUZ" -> F8_E5M2FNUZ;
            case "F4" -> F4;
            case "F6_E2M3" -> F6_E2M3;
            case "F6_E3M2" -> F6_E3M2;
            case "C64" -> C64;
            default -> null;
        };
    }
}
