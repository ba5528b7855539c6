package io.peft4j.gguf;

/**
 * The type of a GGUF metadata value, with its id in the file ({@code enum gguf_type} of
 * llama.cpp's {@code gguf.h}).
 */
public enum GgufValueType {
    /** Unsigned 8-bit integer. */
    UINT8(0, 1),
    /** Signed 8-bit integer. */
    INT8(1, 1),
    /** Unsigned 16-bit integer. */
    UINT16(2, 2),
    /** Signed 16-bit integer. */
    INT16(3, 2),
    /** Unsigned 32-bit integer. */
    UINT32(4, 4),
    /** Signed 32-bit integer. */
    INT32(5, 4),
    /** IEEE binary32. */
    FLOAT32(6, 4),
    /** One byte, 0 or 1. */
    BOOL(7, 1),
    /** A UTF-8 string: u64 byte length, then the bytes. */
    STRING(8, 8),
    /** An array: element type (u32), u64 count, then the elements (never arrays themselves). */
    ARRAY(9, 12),
    /** Unsigned 64-bit integer. */
    UINT64(10, 8),
    /** Signed 64-bit integer. */
    INT64(11, 8),
    /** IEEE binary64. */
    FLOAT64(12, 8);

    private static final GgufValueType[] BY_ID = new GgufValueType[13];

    static {
        for (GgufValueType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int minimumBytes;

    GgufValueType(int id, int minimumBytes) {
        this.id = id;
        this.minimumBytes = minimumBytes;
    }

    /** The id written in the file. */
    public int id() {
        return id;
    }

    /** The fewest bytes a value of this type takes (its size for fixed-size types). */
    int minimumBytes() {
        return minimumBytes;
    }

    /** Whether a value of this type has a fixed size: every type but strings and arrays. */
    boolean fixedSize() {
        return this != STRING && this != ARRAY;
    }

    /** The type with this id, or null if no type has it. */
    static GgufValueType byId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }
}
