package io.peft4j.safetensors;

import io.peft4j.safetensors.SafetensorsFormatException.Rule;
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
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses a safetensors header and checks every rule of the format, as strictly as the Rust
 * reference ({@code safetensors::tensor::SafeTensors::read_metadata} and
 * {@code Metadata::validate}). This is the one place those rules live: any violation throws a
 * {@link SafetensorsFormatException} before a single tensor byte is read.
 */
final class HeaderValidator {

    /** The reference's limit on the header length. */
    static final long MAX_HEADER_SIZE = 100_000_000L;

    /** Bytes of the little-endian u64 header length that starts every file. */
    static final int LENGTH_PREFIX = 8;

    static final String METADATA_KEY = "__metadata__";

    private static final ValueLayout.OfLong U64_LE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final byte[][] FIELDS = {ascii("dtype"), ascii("shape"), ascii("data_offsets")};
    private static final DType[] DTYPES = DType.values();
    private static final byte[][] DTYPE_NAMES = Arrays.stream(DTYPES).map(t -> ascii(t.safetensorsName()))
            .toArray(byte[][]::new);

    private final Path file;

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private HeaderValidator(Path file) {
        this.file = file;
    }

    /** Validates the whole file {@code content} (the mapped file named {@code file}). */
    static SafetensorsHeader validate(Path file, MemorySegment content) {
        long fileSize = content.byteSize();
        HeaderValidator validator = new HeaderValidator(file);
        validator.requireLengthPrefix(fileSize);
        long n = validator.checkLength(content.get(U64_LE, 0), fileSize);
        return validator.header(content.asSlice(LENGTH_PREFIX, n).toArray(ValueLayout.JAVA_BYTE), fileSize);
    }

    /**
     * The header length that {@code prefix}, the first bytes of a file of {@code fileSize} bytes,
     * declares, checked against the reference's limits.
     */
    static long headerLength(Path file, byte[] prefix, long fileSize) {
        HeaderValidator validator = new HeaderValidator(file);
        validator.requireLengthPrefix(Math.min(fileSize, prefix.length));
        long n = ByteBuffer.wrap(prefix, 0, LENGTH_PREFIX).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return validator.checkLength(n, fileSize);
    }

    /** Validates {@code header}, the header bytes (after the length) of a file of {@code fileSize} bytes. */
    static SafetensorsHeader validate(Path file, byte[] header, long fileSize) {
        HeaderValidator validator = new HeaderValidator(file);
        validator.requireLengthPrefix(fileSize);
        validator.checkLength(header.length, fileSize);
        return validator.header(header, fileSize);
    }

    private void requireLengthPrefix(long size) {
        if (size < LENGTH_PREFIX) {
            throw fail(Rule.FILE_TOO_SMALL, "file is " + size + " bytes, shorter than the 8-byte header length");
        }
    }

    private long checkLength(long n, long fileSize) {
        if (n < 0 || n > MAX_HEADER_SIZE) {
            throw fail(Rule.HEADER_TOO_LARGE, "header length " + Long.toUnsignedString(n)
                    + " exceeds the limit of " + MAX_HEADER_SIZE + " bytes");
        }
        if (LENGTH_PREFIX + n > fileSize) {
            throw fail(Rule.HEADER_EXCEEDS_FILE, "header length " + n + " runs past the end of the "
                    + fileSize + "-byte file");
        }
        return n;
    }

    private SafetensorsHeader header(byte[] header, long fileSize) {
        checkUtf8(header);
        long dataStart = LENGTH_PREFIX + header.length;
        Parsed parsed = parse(header);
        List<TensorInfo> ordered = inDataOrder(parsed.entries);
        checkLayout(ordered, fileSize - dataStart);
        return new SafetensorsHeader(dataStart, Collections.unmodifiableList(ordered),
                Collections.unmodifiableMap(parsed.byName), Collections.unmodifiableMap(parsed.metadata));
    }

    private void checkUtf8(byte[] header) {
        for (byte b : header) {
            if (b < 0) {
                try {
                    StandardCharsets.UTF_8.newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(header));
                } catch (CharacterCodingException e) {
                    throw fail(Rule.HEADER_NOT_UTF8, "header is not valid UTF-8");
                }
                return;
            }
        }
    }

    private record Parsed(List<TensorInfo> entries, Map<String, TensorInfo> byName, Map<String, String> metadata) {
    }

    private Parsed parse(byte[] header) {
        JsonCursor json = new JsonCursor(header);
        try {
            if (json.peek() != '{') {
                String kind = json.describeNext();
                json.skipValue(0);
                if (!json.atEnd()) {
                    throw json.malformed("trailing characters");
                }
                throw fail(Rule.HEADER_NOT_OBJECT, "header is " + kind + ", not a JSON object");
            }
            json.expect('{');
            int expected = header.length / 64; // a typical entry takes 80 to 150 bytes
            List<TensorInfo> entries = new ArrayList<>(expected);
            Map<String, TensorInfo> byName = HashMap.newHashMap(expected);
            Map<String, String> metadata = null;
            if (!json.consume('}')) {
                do {
                    String key = json.readString();
                    json.expect(':');
                    if (key.equals(METADATA_KEY)) {
                        if (metadata != null) {
                            throw fail(Rule.DUPLICATE_KEY, "header has " + METADATA_KEY + " twice");
                        }
                        metadata = parseMetadata(json);
                    } else {
                        TensorInfo info = parseEntry(json, key);
                        if (byName.putIfAbsent(key, info) != null) {
                            throw fail(Rule.DUPLICATE_KEY, "header has tensor '" + key + "' twice");
                        }
                        entries.add(info);
                    }
                } while (json.consume(','));
                json.expect('}');
            }
            if (!json.atEnd()) {
                throw json.malformed("trailing characters after the header object");
            }
            return new Parsed(entries, byName, metadata == null ? Map.of() : metadata);
        } catch (JsonCursor.Malformed e) {
            throw fail(Rule.HEADER_NOT_JSON, "header is not valid JSON: " + e.getMessage());
        }
    }

    private Map<String, String> parseMetadata(JsonCursor json) {
        if (json.consumeNull()) {
            return new LinkedHashMap<>();
        }
        if (json.peek() != '{') {
            throw wrongType(json, 1, Rule.INVALID_METADATA, METADATA_KEY + " is ", ", not an object");
        }
        json.expect('{');
        Map<String, String> metadata = new LinkedHashMap<>();
        if (!json.consume('}')) {
            do {
                String key = json.readString();
                json.expect(':');
                if (json.peek() != '"') {
                    throw wrongType(json, 2, Rule.INVALID_METADATA, METADATA_KEY + " value of '" + key + "' is ",
                            ", not a string");
                }
                if (metadata.putIfAbsent(key, json.readString()) != null) {
                    throw fail(Rule.DUPLICATE_KEY, METADATA_KEY + " has key '" + key + "' twice");
                }
            } while (json.consume(','));
            json.expect('}');
        }
        return metadata;
    }

    private TensorInfo parseEntry(JsonCursor json, String name) {
        if (json.peek() != '{') {
            throw wrongType(json, 1, Rule.INVALID_FIELD, "tensor '" + name + "' is ", ", not an object");
        }
        json.expect('{');
        DType dtype = null;
        long[] shape = null;
        long[] offsets = null;
        if (!json.consume('}')) {
            do {
                int known = json.readKnownString(FIELDS);
                String field = known >= 0 ? null : json.readString();
                json.expect(':');
                switch (known >= 0 ? known : fieldIndex(field)) {
                    case 0 -> {
                        requireFirst(dtype, name, "dtype");
                        dtype = parseDtype(json, name);
                    }
                    case 1 -> {
                        requireFirst(shape, name, "shape");
                        shape = parseShape(json, name);
                    }
                    case 2 -> {
                        requireFirst(offsets, name, "data_offsets");
                        offsets = parseOffsets(json, name);
                    }
                    default -> json.skipValue(2);
                }
            } while (json.consume(','));
            json.expect('}');
        }
        if (dtype == null || shape == null || offsets == null) {
            String missing = dtype == null ? "dtype" : shape == null ? "shape" : "data_offsets";
            throw fail(Rule.MISSING_FIELD, "tensor '" + name + "' has no " + missing);
        }
        return new TensorInfo(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static int fieldIndex(String field) {
        return switch (field) {
            case "dtype" -> 0;
            case "shape" -> 1;
            case "data_offsets" -> 2;
            default -> -1;
        };
    }

    private void requireFirst(Object seen, String name, String field) {
        if (seen != null) {
            throw fail(Rule.DUPLICATE_KEY, "tensor '" + name + "' has field " + field + " twice");
        }
    }

    private DType parseDtype(JsonCursor json, String name) {
        int known = json.readKnownString(DTYPE_NAMES);
        if (known >= 0) {
            return DTYPES[known];
        }
        if (json.peek() != '"') {
            throw wrongType(json, 2, Rule.INVALID_FIELD, "tensor '" + name + "' dtype is ", ", not a string");
        }
        String text = json.readString();
        DType dtype = DType.lookup(text);
        if (dtype == null) {
            throw fail(Rule.UNKNOWN_DTYPE, "tensor '" + name + "' has unknown dtype '" + text + "'");
        }
        return dtype;
    }

    private long[] parseShape(JsonCursor json, String name) {
        if (json.peek() != '[') {
            throw wrongType(json, 2, Rule.INVALID_FIELD, "tensor '" + name + "' shape is ", ", not an array");
        }
        json.expect('[');
        long[] dims = new long[4];
        int rank = 0;
        if (!json.consume(']')) {
            do {
                if (rank == dims.length) {
                    dims = Arrays.copyOf(dims, rank * 2);
                }
                dims[rank++] = parseDimension(json, name);
            } while (json.consume(','));
            json.expect(']');
        }
        return Arrays.copyOf(dims, rank);
    }

    private long parseDimension(JsonCursor json, String name) {
        long plain = json.readPlainNonNegativeLong();
        if (plain >= 0) {
            return plain;
        }
        String text = readNumber(json, name, "shape");
        if (!isInteger(text)) {
            throw fail(Rule.INVALID_FIELD, "tensor '" + name + "' shape has non-integer dimension " + text);
        }
        if (text.startsWith("-")) {
            throw fail(Rule.NEGATIVE_DIMENSION, "tensor '" + name + "' shape has negative dimension " + text);
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw fail(Rule.SIZE_OVERFLOW, "tensor '" + name + "' shape dimension " + text + " overflows 64 bits");
        }
    }

    private long[] parseOffsets(JsonCursor json, String name) {
        if (json.peek() != '[') {
            throw wrongType(json, 2, Rule.INVALID_FIELD, "tensor '" + name + "' data_offsets is ", ", not an array");
        }
        json.expect('[');
        long[] offsets = new long[2];
        int count = 0;
        if (!json.consume(']')) {
            do {
                long value = parseOffset(json, name);
                if (count < 2) {
                    offsets[count] = value;
                }
                count++;
            } while (json.consume(','));
            json.expect(']');
        }
        if (count != 2) {
            throw fail(Rule.INVALID_FIELD, "tensor '" + name + "' data_offsets has " + count
                    + " values, not 2");
        }
        return offsets;
    }

    private long parseOffset(JsonCursor json, String name) {
        long plain = json.readPlainNonNegativeLong();
        if (plain >= 0) {
            return plain;
        }
        String text = readNumber(json, name, "data_offsets");
        if (!isInteger(text) || text.startsWith("-")) {
            throw fail(Rule.INVALID_FIELD, "tensor '" + name + "' data_offsets has " + text
                    + ", not a non-negative integer");
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw fail(Rule.INVALID_FIELD, "tensor '" + name + "' data offset " + text + " overflows 64 bits");
        }
    }

    private String readNumber(JsonCursor json, String name, String field) {
        int c = json.peek();
        if (c != '-' && (c < '0' || c > '9')) {
            throw wrongType(json, 3, Rule.INVALID_FIELD, "tensor '" + name + "' " + field + " holds ", ", not an integer");
        }
        return json.readNumberText();
    }

    private static boolean isInteger(String numberText) {
        return numberText.indexOf('.') < 0 && numberText.indexOf('e') < 0 && numberText.indexOf('E') < 0;
    }

    /** The entries sorted by (begin, end), keeping header order among equal offsets. */
    private static List<TensorInfo> inDataOrder(List<TensorInfo> entries) {
        for (int i = 1; i < entries.size(); i++) {
            if (OFFSET_ORDER.compare(entries.get(i - 1), entries.get(i)) > 0) {
                List<TensorInfo> sorted = new ArrayList<>(entries);
                sorted.sort(OFFSET_ORDER);
                return sorted;
            }
        }
        return entries;
    }

    private static final Comparator<TensorInfo> OFFSET_ORDER =
            Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end);

    private void checkLayout(List<TensorInfo> ordered, long dataSize) {
        long start = 0;
        for (TensorInfo info : ordered) {
            if (info.begin() != start || info.end() < info.begin()) {
                throw fail(Rule.OFFSETS_NOT_CONTIGUOUS, "tensor '" + info.name() + "' has data_offsets ["
                        + info.begin() + ", " + info.end() + "] but the previous tensor ends at " + start);
            }
            start = info.end();
            long bytes;
            try {
                bytes = info.dtype().byteSize(info.numel());
            } catch (ArithmeticException e) {
                throw fail(Rule.SIZE_OVERFLOW, "tensor '" + info.name() + "' shape "
                        + Arrays.toString(info.shape()) + " overflows 64 bits in bytes");
            } catch (IllegalArgumentException e) {
                throw fail(Rule.SUB_BYTE_MISALIGNED, "tensor '" + info.name() + "' " + info.dtype().safetensorsName()
                        + Arrays.toString(info.shape()) + ": " + e.getMessage());
            }
            if (info.byteSize() != bytes) {
                throw fail(Rule.SIZE_MISMATCH, "tensor '" + info.name() + "' " + info.dtype().safetensorsName()
                        + Arrays.toString(info.shape()) + " needs " + bytes + " bytes but data_offsets span "
                        + info.byteSize());
            }
        }
        if (start != dataSize) {
            throw fail(Rule.DATA_SIZE_MISMATCH, "tensors end at data offset " + start + " but the data area holds "
                    + dataSize + " bytes (" + (start > dataSize ? "file truncated" : "trailing bytes") + ")");
        }
    }

    /**
     * The error for a value of the wrong JSON type coming next, {@code depth} arrays and objects
     * deep: checks the value's syntax first, so that malformed JSON is reported as such, then
     * says "{@code before}<kind>{@code after}".
     */
    private SafetensorsFormatException wrongType(JsonCursor json, int depth, Rule rule, String before, String after) {
        String kind = json.describeNext();
        json.skipValue(depth);
        return fail(rule, before + kind + after);
    }

    private SafetensorsFormatException fail(Rule rule, String detail) {
        return new SafetensorsFormatException(file, rule, detail);
    }
}
