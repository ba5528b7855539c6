package io.peft4j.gguf;

/**
 * The element type of a GGUF tensor ({@code enum ggml_type} of llama.cpp's {@code ggml.h}), with
 * its block layout: {@code blockSize} elements are stored in {@code typeSize} bytes (1 and the
 * element size for plain types). Ids that ggml removed (4, 5, 31 to 33, 36 to 38) have no constant.
 */
public enum GgmlType {
    /** IEEE binary32. */
    F32(0, 1, 4),
    /** IEEE binary16. */
    F16(1, 1, 2),
    /** 4-bit blocks of 32 with an f16 scale. */
    Q4_0(2, 32, 18),
    /** 4-bit blocks of 32 with f16 scale and minimum. */
    Q4_1(3, 32, 20),
    /** 5-bit blocks of 32. */
    Q5_0(6, 32, 22),
    /** 5-bit blocks of 32 with a minimum. */
    Q5_1(7, 32, 24),
    /** 8-bit blocks of 32: an f16 scale {@code d} then 32 signed bytes; value = d * q. */
    Q8_0(8, 32, 34),
    /** 8-bit blocks of 32 with a sum. */
    Q8_1(9, 32, 36),
    /** k-quant, 2 bits. */
    Q2_K(10, 256, 84),
    /** k-quant, 3 bits. */
    Q3_K(11, 256, 110),
    /** k-quant, 4 bits. */
    Q4_K(12, 256, 144),
    /** k-quant, 5 bits. */
    Q5_K(13, 256, 176),
    /** k-quant, 6 bits. */
    Q6_K(14, 256, 210),
    /** k-quant, 8 bits. */
    Q8_K(15, 256, 292),
    /** i-quant. */
    IQ2_XXS(16, 256, 66),
    /** i-quant. */
    IQ2_XS(17, 256, 74),
    /** i-quant. */
    IQ3_XXS(18, 256, 98),
    /** i-quant. */
    IQ1_S(19, 256, 50),
    /** i-quant. */
    IQ4_NL(20, 32, 18),
    /** i-quant. */
    IQ3_S(21, 256, 110),
    /** i-quant. */
    IQ2_S(22, 256, 82),
    /** i-quant. */
    IQ4_XS(23, 256, 136),
    /** Signed 8-bit integer. */
    I8(24, 1, 1),
    /** Signed 16-bit integer. */
    I16(25, 1, 2),
    /** Signed 32-bit integer. */
    I32(26, 1, 4),
    /** Signed 64-bit integer. */
    I64(27, 1, 8),
    /** IEEE binary64. */
    F64(28, 1, 8),
    /** i-quant. */
    IQ1_M(29, 256, 56),
    /** bfloat16. */
    BF16(30, 1, 2),
    /** ternary quant. */
    TQ1_0(34, 256, 54),
    /** ternary quant. */
    TQ2_0(35, 256, 66),
    /** microscaling FP4. */
    MXFP4(39, 32, 17),
    /** NVIDIA FP4. */
    NVFP4(40, 64, 36),
    /** 1-bit blocks of 128. */
    Q1_0(41, 128, 18),
    /** 2-bit blocks of 64. */
    Q2_0(42, 64, 18);

    private static final GgmlType[] BY_ID = new GgmlType[43];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int blockSize;
    private final int typeSize;

    GgmlType(int id, int blockSize, int typeSize) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
    }

    /** The id written in the file. */
    public int id() {
        return id;
    }

    /** Elements per block. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int typeSize() {
        return typeSize;
    }

    /** The type with this id, or null for an id ggml does not define (or has removed). */
    static GgmlType byId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }
}
