package io.peft4j.gguf;

import io.peft4j.gguf.GgufFormatException.Rule;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses a GGUF header and checks every rule of the format as llama.cpp's
 * {@code gguf_init_from_file} does (and that the tensor data lies inside the file, which llama.cpp
 * checks only when it reads the data). This is the one place those rules live: any violation
 * throws a {@link GgufFormatException} naming the rule, before a tensor byte is read. Every count
 * and length is checked against the bytes left in the file before anything is allocated for it.
 */
final class GgufValidator {

    /** The bytes of magic, version, tensor count and key-value count. */
    static final int FIXED_HEADER = 24;
    /** {@code "GGUF"} read as a little-endian u32. */
    static final int MAGIC = 0x46554747;
    /** The version this package writes. */
    static final int VERSION = 3;
    /** The alignment of tensor data when {@code general.alignment} is absent. */
    static final int DEFAULT_ALIGNMENT = 32;
    /** The key that sets the alignment. */
    static final String ALIGNMENT_KEY = "general.alignment";
    /** ggml's {@code GGML_MAX_DIMS}. */
    static final int MAX_DIMS = 4;
    /** ggml's {@code GGML_MAX_NAME}: tensor names are shorter than this many bytes. */
    static final int MAX_NAME = 64;
    /** llama.cpp's {@code GGUF_MAX_STRING_LENGTH} and {@code GGUF_MAX_ARRAY_ELEMENTS}. */
    static final long MAX_LENGTH = 1L << 30;
    /**
     * The most array elements peft4j reads from one file's metadata, all arrays together: 16 times
     * the largest vocabulary in use (a 262,144-token vocabulary has about a million elements in its
     * token, score, type and merge arrays); it bounds the heap a hostile file can take.
     */
    static final long MAX_ELEMENTS = 1L << 22;

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Fewest bytes of a key-value pair: a key of one byte (8 + 1), its type (4), a one-byte value. */
    private static final int MIN_KV_BYTES = 14;
    /** Fewest bytes of a tensor entry: an empty name (8), n_dims (4), type (4), offset (8). */
    private static final int MIN_TENSOR_BYTES = 24;

    /**
     * A validated header.
     *
     * @param version the format version (2 or 3)
     * @param alignment the alignment of tensor data
     * @param dataStart the file offset of the data section
     * @param metadata every key-value pair, in file order
     * @param tensors every tensor entry, in file order
     * @param byName the tensor entries by name
     */
    record Header(int version, int alignment, long dataStart, Map<String, GgufValue> metadata,
                  List<GgufTensorInfo> tensors, Map<String, GgufTensorInfo> byName) {
    }

    private final Path file;
    private final MemorySegment content;
    private final long size;
    private long position;
    private long elementsRead;

    private GgufValidator(Path file, MemorySegment content) {
        this.file = file;
        this.content = content;
        this.size = content.byteSize();
    }

    /** Validates the whole file {@code content} (the mapped file named {@code file}). */
    static Header validate(Path file, MemorySegment content) {
        return new GgufValidator(file, content).run();
    }

    private Header run() {
        if (size < FIXED_HEADER) {
            throw fail(Rule.FILE_TOO_SMALL, "file is " + size + " bytes, shorter than the " + FIXED_HEADER + "-byte GGUF header");
        }
        int magic = content.get(U32, 0);
        if (magic != MAGIC) {
            throw fail(Rule.BAD_MAGIC, "not a GGUF file: it starts with " + printable(0, 4) + ", not 'GGUF'");
        }
        int version = content.get(U32, 4);
        if (version != 2 && version != VERSION) {
            String why = version == 1 ? "GGUF version 1 is obsolete and no longer read by llama.cpp"
                    : Integer.reverseBytes(version) == VERSION || Integer.reverseBytes(version) == 2 ? "a big-endian GGUF file; only little-endian files are read"
                    : "GGUF version " + Integer.toUnsignedString(version) + " is not supported (only 2 and 3)";
            throw fail(Rule.UNSUPPORTED_VERSION, why);
        }
        long tensorCount = content.get(U64, 8);
        long kvCount = content.get(U64, 16);
        position = FIXED_HEADER;
        long left = size - position;
        if (kvCount < 0 || kvCount > left / MIN_KV_BYTES) {
            throw fail(Rule.COUNT_EXCEEDS_FILE, "header declares " + Long.toUnsignedString(kvCount)
                    + " key-value pairs but the file has room for at most " + left / MIN_KV_BYTES);
        }
        if (tensorCount < 0 || tensorCount > (left - kvCount * MIN_KV_BYTES) / MIN_TENSOR_BYTES) {
            throw fail(Rule.COUNT_EXCEEDS_FILE, "header declares " + Long.toUnsignedString(tensorCount)
                    + " tensors but the file has room for at most " + (left - kvCount * MIN_KV_BYTES) / MIN_TENSOR_BYTES);
        }
        Map<String, GgufValue> metadata = readMetadata(kvCount);
        int alignment = alignment(metadata);
        List<GgufTensorInfo> tensors = new ArrayList<>(initialCapacity(tensorCount));
        Map<String, GgufTensorInfo> byName = HashMap.newHashMap(initialCapacity(tensorCount));
        for (long i = 0; i < tensorCount; i++) {
            GgufTensorInfo info = readTensorInfo(i);
            if (byName.putIfAbsent(info.name(), info) != null) {
                throw fail(Rule.DUPLICATE_TENSOR, "tensor '" + info.name() + "' appears twice");
            }
            tensors.add(info);
        }
        long dataStart = tensorCount == 0 ? position : pad(position, alignment);
        if (tensorCount > 0 && dataStart > size) {
            throw fail(Rule.TRUNCATED, "the data section would start at byte " + dataStart + ", past the end of the " + size + "-byte file");
        }
        checkLayout(tensors, alignment, dataStart);
        return new Header(version, alignment, dataStart, Collections.unmodifiableMap(metadata),
                Collections.unmodifiableList(tensors), Collections.unmodifiableMap(byName));
    }

    private Map<String, GgufValue> readMetadata(long count) {
        Map<String, GgufValue> metadata = LinkedHashMap.newLinkedHashMap(initialCapacity(count));
        for (long i = 0; i < count; i++) {
            String key = readString("key " + i, true);
            if (key.isEmpty()) {
                throw fail(Rule.INVALID_STRING, "key " + i + " is empty");
            }
            GgufValueType type = readType("key '" + key + "'");
            GgufValue value;
            if (type == GgufValueType.ARRAY) {
                GgufValueType elementType = readType("array of key '" + key + "'");
                if (elementType == GgufValueType.ARRAY) {
                    throw fail(Rule.UNKNOWN_VALUE_TYPE, "key '" + key + "' is an array of arrays, which GGUF does not allow");
                }
                long n = readU64("the length of array '" + key + "'");
                long left = size - position;
                if (n < 0 || n > MAX_LENGTH || n > left / elementType.minimumBytes()) {
                    throw fail(Rule.COUNT_EXCEEDS_FILE, "array '" + key + "' declares " + Long.toUnsignedString(n) + " elements but "
                            + (n >= 0 && n <= MAX_LENGTH ? left + " bytes are left in the file" : "llama.cpp allows at most " + MAX_LENGTH));
                }
                elementsRead += n;
                if (elementsRead > MAX_ELEMENTS) {
                    throw fail(Rule.COUNT_EXCEEDS_FILE, "array '" + key + "' brings the metadata arrays to " + elementsRead
                            + " elements, more than the " + MAX_ELEMENTS + " peft4j reads");
                }
                List<Object> elements = new ArrayList<>(initialCapacity(n));
                for (long e = 0; e < n; e++) {
                    elements.add(readScalar(elementType, key));
                }
                value = new GgufValue(type, elementType, elements);
            } else {
                value = new GgufValue(type, null, readScalar(type, key));
            }
            if (metadata.putIfAbsent(key, value) != null) {
                throw fail(Rule.DUPLICATE_KEY, "key '" + key + "' appears twice");
            }
        }
        return metadata;
    }

    private int alignment(Map<String, GgufValue> metadata) {
        GgufValue value = metadata.get(ALIGNMENT_KEY);
        if (value == null) {
            return DEFAULT_ALIGNMENT;
        }
        if (value.type() != GgufValueType.UINT32) {
            throw fail(Rule.INVALID_ALIGNMENT, ALIGNMENT_KEY + " is a " + value.type() + ", not a UINT32");
        }
        long alignment = (Long) value.value();
        if (alignment == 0 || Long.bitCount(alignment) != 1) {
            throw fail(Rule.INVALID_ALIGNMENT, ALIGNMENT_KEY + " is " + alignment + ", not a power of two");
        }
        return (int) alignment;
    }

    private GgufTensorInfo readTensorInfo(long index) {
        String name = readString("the name of tensor " + index, true);
        if (name.getBytes(StandardCharsets.UTF_8).length >= MAX_NAME) {
            throw fail(Rule.TENSOR_NAME_TOO_LONG, "tensor '" + name + "' has a name of " + name.getBytes(StandardCharsets.UTF_8).length
                    + " bytes; ggml allows at most " + (MAX_NAME - 1));
        }
        long nDims = Integer.toUnsignedLong(readU32("tensor '" + name + "'"));
        if (nDims > MAX_DIMS) {
            throw fail(Rule.INVALID_DIMENSIONS, "tensor '" + name + "' has " + nDims + " dimensions; ggml allows at most " + MAX_DIMS);
        }
        long[] dims = new long[(int) nDims];
        for (int d = 0; d < nDims; d++) {
            dims[d] = readU64("tensor '" + name + "'");
            if (dims[d] < 0) {
                throw fail(Rule.INVALID_DIMENSIONS, "tensor '" + name + "' dimension " + d + " is " + dims[d] + " (negative)");
            }
        }
        long numel = 1;
        for (long d : dims) {
            if (d > 1 && numel > Long.MAX_VALUE / d) {
                throw fail(Rule.INVALID_DIMENSIONS, "tensor '" + name + "' has dimensions " + Arrays.toString(dims)
                        + " whose element count overflows 64 bits");
            }
            numel *= d;
        }
        int typeId = readU32("tensor '" + name + "'");
        GgmlType type = GgmlType.byId(Integer.toUnsignedLong(typeId));
        if (type == null) {
            throw fail(Rule.UNKNOWN_TENSOR_TYPE, "tensor '" + name + "' has ggml type " + Integer.toUnsignedString(typeId)
                    + ", which is not a ggml type");
        }
        long rowLength = dims.length == 0 ? 1 : dims[0];
        if (rowLength % type.blockSize() != 0) {
            throw fail(Rule.ROW_NOT_BLOCK_MULTIPLE, "tensor '" + name + "' of type " + type + " has rows of " + rowLength
                    + " elements, not a multiple of its block size " + type.blockSize());
        }
        long offset = readU64("tensor '" + name + "'");
        long bytes;
        try {
            bytes = GgufTensorInfo.byteSize(dims, type);
        } catch (ArithmeticException e) {
            throw fail(Rule.INVALID_DIMENSIONS, "tensor '" + name + "' has dimensions " + Arrays.toString(dims)
                    + " whose size in bytes overflows 64 bits");
        }
        return new GgufTensorInfo(name, dims, type, offset, bytes);
    }

    /** Tensor data must follow the header tightly, in entry order, each padded to the alignment, inside the file. */
    private void checkLayout(List<GgufTensorInfo> tensors, int alignment, long dataStart) {
        long expected = 0;
        String previous = null;
        for (GgufTensorInfo t : tensors) {
            long offset = t.offset();
            if (offset < 0 || offset % alignment != 0) {
                throw fail(Rule.MISALIGNED_TENSOR, "tensor '" + t.name() + "' data offset " + Long.toUnsignedString(offset)
                        + " is not a multiple of the alignment " + alignment);
            }
            if (offset < expected) {
                throw fail(Rule.OVERLAPPING_TENSORS, "tensor '" + t.name() + "' data starts at offset " + offset
                        + ", inside tensor '" + previous + "' (which ends at " + expected + ")");
            }
            if (offset > expected) {
                throw fail(Rule.TENSOR_GAP, "tensor '" + t.name() + "' data starts at offset " + offset + " but llama.cpp expects "
                        + expected + (previous == null ? " (the start of the data section)" : ", right after tensor '" + previous + "'"));
            }
            if (t.byteSize() > size - dataStart - offset) {
                throw fail(Rule.TENSOR_PAST_END, "tensor '" + t.name() + "' (" + t.byteSize() + " bytes at file offset " + (dataStart + offset)
                        + ") runs past the end of the " + size + "-byte file");
            }
            expected = offset + pad(t.byteSize(), alignment);
            previous = t.name();
        }
    }

    private Object readScalar(GgufValueType type, String key) {
        String where = "the value of key '" + key + "'";
        return switch (type) {
            case UINT8 -> (long) (readBytes(1, where).get(ValueLayout.JAVA_BYTE, 0) & 0xFF);
            case INT8 -> (long) readBytes(1, where).get(ValueLayout.JAVA_BYTE, 0);
            case UINT16 -> (long) (readBytes(2, where).get(U16, 0) & 0xFFFF);
            case INT16 -> (long) readBytes(2, where).get(U16, 0);
            case UINT32 -> Integer.toUnsignedLong(readU32(where));
            case INT32 -> (long) readU32(where);
            case UINT64, INT64 -> readU64(where);
            case FLOAT32 -> readBytes(4, where).get(F32, 0);
            case FLOAT64 -> readBytes(8, where).get(F64, 0);
            case BOOL -> readBytes(1, where).get(ValueLayout.JAVA_BYTE, 0) != 0;
            case STRING -> readString(where, false);
            case ARRAY -> throw new IllegalStateException("arrays are read by readMetadata");
        };
    }

    private GgufValueType readType(String what) {
        int id = readU32(what);
        GgufValueType type = GgufValueType.byId(Integer.toUnsignedLong(id));
        if (type == null) {
            throw fail(Rule.UNKNOWN_VALUE_TYPE, what + " has value type " + Integer.toUnsignedString(id) + ", which GGUF does not define");
        }
        return type;
    }

    /**
     * A length-prefixed string. Keys and tensor names must be valid UTF-8; string values are
     * decoded leniently (llama.cpp does not check them, and some vocabularies hold partial
     * characters), with U+FFFD for malformed bytes.
     */
    private String readString(String what, boolean strict) {
        long length = readU64(what);
        if (length < 0 || length > MAX_LENGTH || length > size - position) {
            throw fail(Rule.STRING_PAST_END, what + " declares a string of " + Long.toUnsignedString(length) + " bytes but "
                    + (length >= 0 && length <= MAX_LENGTH ? (size - position) + " bytes are left in the file" : "llama.cpp allows at most " + MAX_LENGTH));
        }
        ByteBuffer bytes = readBytes(length, what).asByteBuffer();
        if (!strict) {
            return StandardCharsets.UTF_8.decode(bytes).toString();
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw fail(Rule.INVALID_STRING, what + " is not valid UTF-8");
        }
    }

    private int readU32(String what) {
        return readBytes(4, what).get(U32, 0);
    }

    private long readU64(String what) {
        return readBytes(8, what).get(U64, 0);
    }

    private MemorySegment readBytes(long n, String what) {
        if (n > size - position) {
            throw fail(Rule.TRUNCATED, "the file ends inside " + what + " (at byte " + size + ")");
        }
        MemorySegment slice = content.asSlice(position, n);
        position += n;
        return slice;
    }

    /** Room for {@code count} entries, but never more up front than a file that is not lying about its counts needs. */
    private static int initialCapacity(long count) {
        return (int) Math.min(count, 1 << 16);
    }

    static long pad(long n, long alignment) {
        return (n + alignment - 1) / alignment * alignment;
    }

    private String printable(long from, int n) {
        StringBuilder s = new StringBuilder("'");
        for (int i = 0; i < n; i++) {
            int b = content.get(ValueLayout.JAVA_BYTE, from + i) & 0xFF;
            s.append(b >= 0x20 && b < 0x7F ? String.valueOf((char) b) : String.format("\\x%02x", b));
        }
        return s.append('\'').toString();
    }

    private GgufFormatException fail(Rule rule, String detail) {
        return new GgufFormatException(file, rule, detail);
    }
}
