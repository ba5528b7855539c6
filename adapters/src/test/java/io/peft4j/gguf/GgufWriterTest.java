package io.peft4j.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link GgufWriter} writes, {@link GgufFile} reads back: every value type, arrays, every
 * tensor type peft4j encodes; and the properties of the F16/BF16/Q8_0 rounding. (That the bytes
 * equal gguf-py's is checked against llama.cpp's own converter in {@link LlamaCppCrossCheckTest}.)
 */
class GgufWriterTest {

    @TempDir
    Path dir;

    @Test
    void everyValueTypeRoundTrips() {
        Map<String, GgufValue> values = new LinkedHashMap<>();
        values.put("u8", new GgufValue(GgufValueType.UINT8, null, 255L));
        values.put("i8", new GgufValue(GgufValueType.INT8, null, -128L));
        values.put("u16", new GgufValue(GgufValueType.UINT16, null, 65535L));
        values.put("i16", new GgufValue(GgufValueType.INT16, null, -32768L));
        values.put("u32", GgufValue.uint32(0xFFFF_FFFFL));
        values.put("i32", new GgufValue(GgufValueType.INT32, null, (long) Integer.MIN_VALUE));
        values.put("u64", new GgufValue(GgufValueType.UINT64, null, -1L));
        values.put("i64", new GgufValue(GgufValueType.INT64, null, Long.MIN_VALUE));
        values.put("f32", GgufValue.float32(-0.1f));
        values.put("f64", new GgufValue(GgufValueType.FLOAT64, null, Math.PI));
        values.put("bool", new GgufValue(GgufValueType.BOOL, null, true));
        values.put("string", GgufValue.string("héllo\nwörld"));
        values.put("strings", GgufValue.array(GgufValueType.STRING, List.of("a", "", "ü")));
        values.put("floats", GgufValue.array(GgufValueType.FLOAT32, List.of(1f, -2.5f)));
        values.put("empty", GgufValue.array(GgufValueType.INT32, List.of()));
        GgufWriter writer = new GgufWriter();
        values.forEach(writer::put);
        Path file = dir.resolve("values.gguf");
        writer.write(file);
        try (GgufFile read = GgufFile.open(file)) {
            assertEquals(values, read.metadata());
            assertEquals(List.copyOf(values.keySet()), List.copyOf(read.metadata().keySet()));
            assertEquals("18446744073709551615", read.metadata().get("u64").toString());
        }
    }

    @Test
    void tensorsRoundTripInEachType() {
        Random random = new Random(7);
        float[] values = new float[3 * 64];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        GgufWriter writer = new GgufWriter();
        for (GgmlType type : GgmlCodec.FLOAT_TYPES) {
            writer.tensor("t." + type, new long[] {3, 64}, type, values);
        }
        Path file = dir.resolve("tensors.gguf");
        writer.write(file);
        try (GgufFile read = GgufFile.open(file)) {
            for (GgmlType type : GgmlCodec.FLOAT_TYPES) {
                GgufTensorInfo info = read.find("t." + type).orElseThrow();
                assertEquals(type, info.type());
                assertArrayEquals(new long[] {64, 3}, info.dimensions());
                assertEquals(0, info.offset() % 32);
                float[] back = read.floats(info);
                for (int i = 0; i < values.length; i++) {
                    float expected = switch (type) {
                        case F32 -> values[i];
                        case F16 -> Float.float16ToFloat(Float.floatToFloat16(values[i]));
                        case BF16 -> io.peft4j.safetensors.Tensor.bf16BitsToFloat(io.peft4j.safetensors.Tensor.floatToBf16Bits(values[i]));
                        default -> back[i];
                    };
                    assertEquals(expected, back[i], type + " element " + i);
                }
            }
            float[] q8 = read.floats(read.find("t.Q8_0").orElseThrow());
            for (int block = 0; block < values.length / 32; block++) {
                float max = 0;
                for (int i = 0; i < 32; i++) {
                    max = Math.max(max, Math.abs(values[block * 32 + i]));
                }
                float d = max / 127f;
                float stored = Float.float16ToFloat(Float.floatToFloat16(d));
                float bound = d / 2 + 127 * Math.abs(stored - d) + Math.ulp(max);
                for (int i = block * 32; i < block * 32 + 32; i++) {
                    assertEquals(values[i], q8[i], bound, "Q8_0 element " + i + " within half a step (plus the F16 scale's rounding)");
                }
            }
        }
    }

    @Test
    void q8RoundsHalfAwayFromZeroAndKeepsZeroBlocks() {
        float[] block = new float[32];
        block[0] = 127f;  // d = 1, so each value is its own quantum
        block[1] = 2.5f;  // half-way: away from zero
        block[2] = -2.5f;
        block[3] = 0.49f;
        byte[] bytes = GgmlCodec.encode(GgmlType.Q8_0, block);
        assertEquals(Float.floatToFloat16(1f), (short) ((bytes[0] & 0xFF) | (bytes[1] << 8)));
        assertEquals(127, bytes[2]);
        assertEquals(3, bytes[3]);
        assertEquals(-3, bytes[4]);
        assertEquals(0, bytes[5]);
        assertArrayEquals(new byte[34], GgmlCodec.encode(GgmlType.Q8_0, new float[32]));
    }

    @Test
    void bf16QuietsNanAsGgufPyDoes() {
        byte[] bytes = GgmlCodec.encode(GgmlType.BF16, new float[] {Float.intBitsToFloat(0xFF80_0001), Float.NEGATIVE_INFINITY});
        assertEquals((byte) 0xC0, bytes[0]);
        assertEquals((byte) 0xFF, bytes[1]);
        assertEquals((byte) 0x80, bytes[2]);
        assertEquals((byte) 0xFF, bytes[3]);
    }

    @Test
    void theWriterRefusesWhatGgufCannotHoldAndLeavesNoFileOnFailure() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().tensor("x".repeat(64), new long[] {1}, GgmlType.F32, new float[1]));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().tensor("q", new long[] {2, 48}, GgmlType.Q8_0, new float[96]));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().tensor("short", new long[] {2, 4}, GgmlType.F32, new float[7]));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().put("k", GgufValue.string("a")).put("k", GgufValue.string("b")));
        Path missingParent = dir.resolve("no/such/dir/out.gguf");
        assertThrows(io.peft4j.core.Peft4jException.class, () -> new GgufWriter().write(missingParent));
        try (var list = Files.list(dir)) {
            assertEquals(0, list.count(), "no temporary file left behind");
        }
    }
}
