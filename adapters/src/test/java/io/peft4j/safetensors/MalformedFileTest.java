package io.peft4j.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.safetensors.SafetensorsFormatException.Rule;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A corpus of malformed files, built byte by byte, with at least one file per validation rule of
 * a single file; each must be rejected at open with that rule and a one-line message naming the file.
 */
class MalformedFileTest {

    private static final Set<Rule> INDEX_RULES = EnumSet.of(Rule.INVALID_INDEX, Rule.SHARD_MISSING,
            Rule.SHARD_TENSOR_MISSING);

    @TempDir
    Path dir;

    /** One F32 tensor of shape [2] at offsets [b, e]. */
    private static String f32(String name, String shape, long b, long e) {
        return "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[" + b + "," + e + "]}";
    }

    static Stream<Arguments> corpus() {
        return Stream.of(
                bytes(Rule.FILE_TOO_SMALL, "5 bytes", new byte[5]),
                bytes(Rule.FILE_TOO_SMALL, "empty file", new byte[0]),
                raw(Rule.HEADER_TOO_LARGE, "length just over the 100 MB limit", 100_000_001L, "{}", 0),
                raw(Rule.HEADER_TOO_LARGE, "length with the top bit set", -1L, "{}", 0),
                raw(Rule.HEADER_EXCEEDS_FILE, "length past the end", 100, "{}", 0),
                bytes(Rule.HEADER_NOT_UTF8, "0xFF byte", withHeader(new byte[] {'{', '"', (byte) 0xFF, '"', ':', '1', '}'}, 0)),
                bytes(Rule.HEADER_NOT_UTF8, "overlong encoding", withHeader(new byte[] {'{', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'}, 0)),
                bytes(Rule.HEADER_NOT_UTF8, "encoded surrogate", withHeader(new byte[] {'{', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'}, 0)),
                bytes(Rule.HEADER_NOT_UTF8, "truncated sequence", withHeader(new byte[] {'{', '}', (byte) 0xE2, (byte) 0x82}, 0)),
                header(Rule.HEADER_NOT_JSON, "empty header", "", 0),
                header(Rule.HEADER_NOT_JSON, "unterminated object", "{\"a\":", 0),
                header(Rule.HEADER_NOT_JSON, "trailing comma", "{" + f32("a", "[2]", 0, 8) + ",}", 8),
                header(Rule.HEADER_NOT_JSON, "text after the object", "{} x", 0),
                header(Rule.HEADER_NOT_JSON, "two objects", "{}{}", 0),
                header(Rule.HEADER_NOT_JSON, "comment", "{/* c */}", 0),
                header(Rule.HEADER_NOT_JSON, "single quotes", "{'a':1}", 0),
                header(Rule.HEADER_NOT_JSON, "raw newline in a string", "{\"a\nb\":" + "{}}", 0),
                header(Rule.HEADER_NOT_JSON, "lone surrogate escape", "{\"\\ud800\":{}}", 0),
                header(Rule.HEADER_NOT_JSON, "bad escape", "{\"\\q\":{}}", 0),
                header(Rule.HEADER_NOT_JSON, "leading zero", "{\"a\":{\"dtype\":\"F32\",\"shape\":[02],\"data_offsets\":[0,8]}}", 8),
                header(Rule.HEADER_NOT_JSON, "NaN literal", "{\"a\":{\"dtype\":\"F32\",\"shape\":[NaN],\"data_offsets\":[0,8]}}", 8),
                header(Rule.HEADER_NOT_OBJECT, "array", "[]", 0),
                header(Rule.HEADER_NOT_OBJECT, "string", "\"tensors\"", 0),
                header(Rule.HEADER_NOT_OBJECT, "number", "  42  ", 0),
                header(Rule.HEADER_NOT_OBJECT, "null", "null", 0),
                header(Rule.DUPLICATE_KEY, "tensor twice", "{" + f32("a", "[2]", 0, 8) + "," + f32("a", "[2]", 8, 16) + "}", 16),
                header(Rule.DUPLICATE_KEY, "__metadata__ twice", "{\"__metadata__\":{},\"__metadata__\":{}}", 0),
                header(Rule.DUPLICATE_KEY, "metadata key twice", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0),
                header(Rule.DUPLICATE_KEY, "field twice", "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
                header(Rule.MISSING_FIELD, "no dtype", "{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
                header(Rule.MISSING_FIELD, "no shape", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8),
                header(Rule.MISSING_FIELD, "no data_offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8),
                header(Rule.INVALID_FIELD, "entry is an array", "{\"a\":[1]}", 0),
                header(Rule.INVALID_FIELD, "dtype is a number", "{\"a\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
                header(Rule.INVALID_FIELD, "shape is a string", "{\"a\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", 8),
                header(Rule.INVALID_FIELD, "fractional dimension", "{" + f32("a", "[2.0]", 0, 8) + "}", 8),
                header(Rule.INVALID_FIELD, "exponent dimension", "{" + f32("a", "[2e0]", 0, 8) + "}", 8),
                header(Rule.INVALID_FIELD, "string dimension", "{" + f32("a", "[\"2\"]", 0, 8) + "}", 8),
                header(Rule.INVALID_FIELD, "three offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}", 8),
                header(Rule.INVALID_FIELD, "one offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8]}}", 8),
                header(Rule.INVALID_FIELD, "negative offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8),
                header(Rule.INVALID_FIELD, "offset just past 2^63", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,9223372036854775808]}}", 8),
                header(Rule.INVALID_FIELD, "offset overflows 64 bits", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,99999999999999999999]}}", 8),
                header(Rule.HEADER_NOT_JSON, "nested 200,000 deep in an unknown field",
                        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":" + nested(200_000) + "}}", 8),
                header(Rule.HEADER_NOT_JSON, "nested 200,000 deep instead of an object", nested(200_000), 0),
                header(Rule.HEADER_NOT_JSON, "nested 200,000 deep in a metadata value",
                        "{\"__metadata__\":{\"k\":" + nested(200_000) + "}}", 0),
                header(Rule.HEADER_NOT_JSON, "nested 128 deep, the reference's limit", nestedInAField(126), 8),
                header(Rule.UNKNOWN_DTYPE, "F128", "{\"a\":{\"dtype\":\"F128\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
                header(Rule.UNKNOWN_DTYPE, "lower case", "{\"a\":{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
                header(Rule.NEGATIVE_DIMENSION, "negative dimension", "{" + f32("a", "[-1,2]", 0, 8) + "}", 8),
                header(Rule.SIZE_OVERFLOW, "numel overflows", "{" + f32("a", "[4294967296,4294967296]", 0, 8) + "}", 8),
                header(Rule.SIZE_OVERFLOW, "bytes overflow", "{" + f32("a", "[4611686018427387904]", 0, 8) + "}", 8),
                header(Rule.SIZE_OVERFLOW, "dimension past 64 bits", "{" + f32("a", "[99999999999999999999]", 0, 8) + "}", 8),
                header(Rule.SIZE_OVERFLOW, "dimension just past 2^63", "{" + f32("a", "[9223372036854775808]", 0, 8) + "}", 8),
                header(Rule.SIZE_OVERFLOW, "largest long dimension", "{" + f32("a", "[9223372036854775807]", 0, 8) + "}", 8),
                header(Rule.SUB_BYTE_MISALIGNED, "three F4 elements", "{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2),
                header(Rule.SUB_BYTE_MISALIGNED, "an F6 scalar", "{\"a\":{\"dtype\":\"F6_E2M3\",\"shape\":[],\"data_offsets\":[0,1]}}", 1),
                header(Rule.SIZE_MISMATCH, "F6 elements take 6 bits", "{\"a\":{\"dtype\":\"F6_E3M2\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4),
                header(Rule.SIZE_MISMATCH, "too few bytes for the shape", "{" + f32("a", "[2]", 0, 4) + "}", 4),
                header(Rule.SIZE_MISMATCH, "too many bytes for the shape", "{" + f32("a", "[2]", 0, 12) + "}", 12),
                header(Rule.SIZE_MISMATCH, "scalar with no bytes", "{" + f32("a", "[]", 0, 0) + "}", 0),
                header(Rule.OFFSETS_NOT_CONTIGUOUS, "hole at the start", "{" + f32("a", "[2]", 4, 12) + "}", 12),
                header(Rule.OFFSETS_NOT_CONTIGUOUS, "hole between", "{" + f32("a", "[2]", 0, 8) + "," + f32("b", "[2]", 12, 20) + "}", 20),
                header(Rule.OFFSETS_NOT_CONTIGUOUS, "overlap", "{" + f32("a", "[2]", 0, 8) + "," + f32("b", "[2]", 4, 12) + "}", 12),
                header(Rule.OFFSETS_NOT_CONTIGUOUS, "same range twice", "{" + f32("a", "[2]", 0, 8) + "," + f32("b", "[2]", 0, 8) + "}", 8),
                header(Rule.OFFSETS_NOT_CONTIGUOUS, "end before begin", "{" + f32("a", "[2]", 0, 8) + "," + f32("b", "[0]", 8, 4) + "}", 8),
                header(Rule.DATA_SIZE_MISMATCH, "truncated data", "{" + f32("a", "[2]", 0, 8) + "}", 6),
                header(Rule.DATA_SIZE_MISMATCH, "trailing bytes", "{" + f32("a", "[2]", 0, 8) + "}", 9),
                header(Rule.DATA_SIZE_MISMATCH, "no tensors but data", "{}", 8),
                header(Rule.INVALID_METADATA, "metadata is an array", "{\"__metadata__\":[]}", 0),
                header(Rule.INVALID_METADATA, "metadata is a string", "{\"__metadata__\":\"x\"}", 0),
                header(Rule.INVALID_METADATA, "metadata value is a number", "{\"__metadata__\":{\"k\":1}}", 0),
                header(Rule.INVALID_METADATA, "metadata value is null", "{\"__metadata__\":{\"k\":null}}", 0),
                header(Rule.INVALID_METADATA, "metadata value is an object", "{\"__metadata__\":{\"k\":{}}}", 0));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("corpus")
    void rejectsAtOpenWithTheRuleAndAOneLineMessage(Rule rule, String description, byte[] content) throws IOException {
        Path file = dir.resolve("bad\nname " + rule + ".safetensors");
        Files.write(file, content);
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(file));
        assertEquals(rule, e.rule(), e.getMessage());
        assertEquals(file, e.file());
        String message = e.getMessage();
        assertTrue(message.startsWith(file.toString().replace("\n", "\\n") + ": "), message);
        assertFalse(message.contains("\n") || message.contains("\r"), message);
    }

    @Test
    void corpusCoversEveryFileRule() {
        Set<Rule> missing = EnumSet.allOf(Rule.class);
        missing.removeAll(INDEX_RULES);
        corpus().forEach(a -> missing.remove((Rule) a.get()[0]));
        assertEquals(Set.of(), missing, "rules without a malformed file");
    }

    @Test
    void acceptsWhatTheReferenceAccepts() throws IOException {
        // Offsets listed out of order, unknown extra fields, whitespace, null metadata, and the
        // space padding the reference writes: all valid.
        String json = "\n { \"b\" : {\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16], \"extra\": [1, {\"x\": null}]},"
                + "\"__metadata__\": null, \"z\":{\"d\\u0074ype\":\"I\\u0038\",\"shape\":[0],\"data_offsets\":[0,0]},"
                + f32("a", "[2]", 0, 8) + ", \"\\u00e9\\ud83d\\ude00\": {\"dtype\":\"BOOL\",\"shape\":[],\"data_offsets\":[16,17]}}"
                + "       ";
        Path file = dir.resolve("ok.safetensors");
        Files.write(file, withHeader(json.getBytes(StandardCharsets.UTF_8), 17));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(List.of("z", "a", "b", "é😀"), f.tensors().stream().map(TensorInfo::name).toList());
            assertEquals(Map.of(), f.metadata());
            assertEquals(1, f.tensor("é😀").numel());
        }
    }

    /**
     * Files safetensors 0.8 reads, which peft4j must read alike: every dtype of 0.8 (with F4 and F6
     * packed: 2 F4 or 4 F6 elements take 1 and 3 bytes), and a field nested 127 deep.
     */
    static Stream<Arguments> accepted() {
        String newDtypes = "{\"e8m0\":{\"dtype\":\"F8_E8M0\",\"shape\":[2],\"data_offsets\":[0,2]},"
                + "\"e4m3fnuz\":{\"dtype\":\"F8_E4M3FNUZ\",\"shape\":[2],\"data_offsets\":[2,4]},"
                + "\"e5m2fnuz\":{\"dtype\":\"F8_E5M2FNUZ\",\"shape\":[1,2],\"data_offsets\":[4,6]},"
                + "\"f4\":{\"dtype\":\"F4\",\"shape\":[2,3],\"data_offsets\":[6,9]},"
                + "\"f6a\":{\"dtype\":\"F6_E2M3\",\"shape\":[4],\"data_offsets\":[9,12]},"
                + "\"f6b\":{\"dtype\":\"F6_E3M2\",\"shape\":[2,4],\"data_offsets\":[12,18]},"
                + "\"c64\":{\"dtype\":\"C64\",\"shape\":[2],\"data_offsets\":[18,34]},"
                + "\"empty_f4\":{\"dtype\":\"F4\",\"shape\":[0],\"data_offsets\":[34,34]}}";
        return Stream.of(
                Arguments.of("every dtype safetensors 0.8 added", withHeader(newDtypes.getBytes(StandardCharsets.UTF_8), 34)),
                Arguments.of("a field nested 127 deep", withHeader(nestedInAField(125).getBytes(StandardCharsets.UTF_8), 8)));
    }

    @Test
    void readsEveryDtypeOfSafetensors08WithItsSize() throws IOException {
        Path file = dir.resolve("dtypes.safetensors");
        Files.write(file, (byte[]) accepted().findFirst().orElseThrow().get()[1]);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, Long> bytes = new java.util.LinkedHashMap<>();
            f.tensors().forEach(t -> bytes.put(t.dtype() + " " + java.util.Arrays.toString(t.shape()), t.byteSize()));
            assertEquals(Map.of("F8_E8M0 [2]", 2L, "F8_E4M3FNUZ [2]", 2L, "F8_E5M2FNUZ [1, 2]", 2L, "F4 [2, 3]", 3L,
                    "F6_E2M3 [4]", 3L, "F6_E3M2 [2, 4]", 6L, "C64 [2]", 16L, "F4 [0]", 0L), bytes);
            assertEquals(2, f.tensor("e8m0").toFloatArray().length);
            assertEquals("tensor f4 has dtype F4, which has no float32 conversion (its raw bytes are in data())",
                    assertThrows(io.peft4j.core.Peft4jException.class, () -> f.tensor("f4").toFloatArray()).getMessage());
            assertEquals(3, f.tensor("f6a").data().byteSize());
        }
    }

    @Test
    void nestingBelowTheReferencesLimitIsAccepted() throws IOException {
        Path file = dir.resolve("deep.safetensors");
        Files.write(file, (byte[]) accepted().toList().get(1).get()[1]);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(List.of("a"), f.tensors().stream().map(TensorInfo::name).toList());
        }
    }

    /** {@code depth} arrays, one inside the other. */
    private static String nested(int depth) {
        return "[".repeat(depth) + "]".repeat(depth);
    }

    /** One F32 tensor with an unknown field holding {@code depth} nested arrays (2 more levels around it). */
    private static String nestedInAField(int depth) {
        return "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":" + nested(depth) + "}}";
    }

    private static Arguments bytes(Rule rule, String description, byte[] content) {
        return Arguments.of(rule, description, content);
    }

    private static Arguments header(Rule rule, String description, String json, int dataBytes) {
        return bytes(rule, description, withHeader(json.getBytes(StandardCharsets.UTF_8), dataBytes));
    }

    private static Arguments raw(Rule rule, String description, long declaredLength, String json, int dataBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(declaredLength).array());
        out.writeBytes(json.getBytes(StandardCharsets.UTF_8));
        out.writeBytes(new byte[dataBytes]);
        return bytes(rule, description, out.toByteArray());
    }

    /** Length prefix + header + {@code dataBytes} zero bytes. */
    static byte[] withHeader(byte[] header, int dataBytes) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            out.write(header);
            out.write(new byte[dataBytes]);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
