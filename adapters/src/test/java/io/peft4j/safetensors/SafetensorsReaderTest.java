package io.peft4j.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.peft4j.core.Peft4jException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Reads the Python-written fixtures and compares every tensor with what torch computed. */
class SafetensorsReaderTest {

    @Test
    void readsEveryDtypeLikeTorch() {
        JsonNode expected = Fixtures.expected().get("dtypes");
        try (SafetensorsFile file = SafetensorsFile.open(Fixtures.file("dtypes.safetensors"))) {
            assertEquals(Map.of("format", "pt"), file.metadata());
            assertEquals(expected.get("tensors").size(), file.tensors().size());
            for (JsonNode t : expected.get("tensors")) {
                checkTensor(file, t);
            }
        }
    }

    @Test
    void escapedNamesAndMetadataMatchPython() {
        JsonNode expected = Fixtures.expected().get("names");
        try (SafetensorsFile file = SafetensorsFile.open(Fixtures.file("names.safetensors"))) {
            assertEquals(expected.get("metadata").get("note").asText(), file.metadata().get("note"));
            Set<String> names = new HashSet<>();
            file.tensors().forEach(i -> names.add(i.name()));
            Set<String> want = new HashSet<>();
            expected.get("tensors").forEach(t -> want.add(t.get("name").asText()));
            assertEquals(want, names);
            for (JsonNode t : expected.get("tensors")) {
                checkTensor(file, t);
            }
        }
    }

    @Test
    void readsSeveralMetadataKeysAndEmptyFiles() {
        Map<String, String> want = new HashMap<>();
        Fixtures.expected().get("metadata").get("metadata").properties()
                .forEach(e -> want.put(e.getKey(), e.getValue().asText()));
        try (SafetensorsFile file = SafetensorsFile.open(Fixtures.file("metadata.safetensors"))) {
            assertEquals(want, file.metadata());
        }
        try (SafetensorsFile file = SafetensorsFile.open(Fixtures.file("empty.safetensors"))) {
            assertEquals(List.of(), file.tensors());
            assertEquals(Map.of(), file.metadata());
        }
    }

    @Test
    void tensorsAreInDataOrderAndZeroCopy() {
        try (SafetensorsFile file = SafetensorsFile.open(Fixtures.file("dtypes.safetensors"))) {
            long end = 0;
            for (TensorInfo info : file.tensors()) {
                assertEquals(end, info.begin());
                end = info.end();
                Tensor t = file.tensor(info.name());
                assertEquals(info.byteSize(), t.data().byteSize());
                assertTrue(t.data().isMapped() || t.data().byteSize() == 0, info.name());
                assertTrue(t.data().isReadOnly());
            }
            assertEquals(file.fileSize() - file.dataStart(), end);
        }
    }

    @Test
    void floatDestinationsAgree() {
        try (SafetensorsFile file = SafetensorsFile.open(Fixtures.file("dtypes.safetensors"));
             Arena arena = Arena.ofConfined()) {
            for (TensorInfo info : file.tensors()) {
                if (!info.dtype().isFloatingPoint()) {
                    continue;
                }
                Tensor t = file.tensor(info.name());
                float[] array = t.toFloatArray();
                int n = array.length;
                MemorySegment segment = arena.allocate(4L * n + 4);
                t.toFloats(segment);
                float[] fromSegment = segment.asSlice(0, 4L * n).toArray(
                        ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
                assertBitsEqual(array, fromSegment, info.name());
                FloatBuffer heap = FloatBuffer.allocate(n + 2).position(1);
                t.toFloats(heap);
                assertEquals(n + 1, heap.position());
                float[] fromHeap = new float[n];
                heap.get(1, fromHeap);
                assertBitsEqual(array, fromHeap, info.name());
                FloatBuffer direct = ByteBuffer.allocateDirect(4 * n + 8).order(ByteOrder.BIG_ENDIAN).asFloatBuffer();
                direct.position(2);
                t.toFloats(direct);
                float[] fromDirect = new float[n];
                direct.get(2, fromDirect);
                assertBitsEqual(array, fromDirect, info.name());
            }
        }
    }

    @Test
    void tensorsDieWithTheirFile() {
        Tensor t;
        try (SafetensorsFile file = SafetensorsFile.open(Fixtures.file("dtypes.safetensors"))) {
            t = file.tensor("f32.matrix");
            assertEquals(24, t.toFloatArray().length);
        }
        assertThrows(IllegalStateException.class, t::toFloatArray);
    }

    @Test
    void missingTensorAndNonFloatConversionAreUserErrors() {
        try (SafetensorsFile file = SafetensorsFile.open(Fixtures.file("dtypes.safetensors"))) {
            TensorNotFoundException e = assertThrows(TensorNotFoundException.class, () -> file.tensor("nope"));
            assertTrue(e.getMessage().contains("dtypes.safetensors"), e.getMessage());
            assertTrue(file.find("nope").isEmpty());
            assertThrows(Peft4jException.class, () -> file.tensor("i8.values").toFloatArray());
        }
        Peft4jException e = assertThrows(Peft4jException.class,
                () -> SafetensorsFile.open(Fixtures.file("absent.safetensors")));
        assertTrue(e.getMessage().contains("absent.safetensors"), e.getMessage());
    }

    static void checkTensor(TensorSource source, JsonNode t) {
        String name = t.get("name").asText();
        Tensor tensor = source.tensor(name);
        assertEquals(DType.fromSafetensorsName(t.get("dtype").asText()), tensor.dtype(), name);
        long[] shape = new long[t.get("shape").size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = t.get("shape").get(i).asLong();
        }
        assertArrayEquals(shape, tensor.shape(), name);
        if (t.has("float32_bits")) {
            float[] floats = tensor.toFloatArray();
            JsonNode bits = t.get("float32_bits");
            assertEquals(bits.size(), floats.length, name);
            for (int i = 0; i < floats.length; i++) {
                float want = Float.intBitsToFloat(bits.get(i).asInt());
                if (Float.isNaN(want)) {
                    assertTrue(Float.isNaN(floats[i]), name + "[" + i + "]");
                } else {
                    assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(floats[i]), name + "[" + i + "]");
                }
            }
        } else {
            JsonNode values = t.get("values");
            assertEquals(values.size(), tensor.numel(), name);
            MemorySegment data = tensor.data();
            for (int i = 0; i < values.size(); i++) {
                assertEquals(values.get(i).asText(), integerAt(data, tensor.dtype(), i), name + "[" + i + "]");
            }
        }
    }

    private static String integerAt(MemorySegment data, DType dtype, long i) {
        ByteOrder le = ByteOrder.LITTLE_ENDIAN;
        return switch (dtype) {
            case I64 -> Long.toString(data.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(le), 8 * i));
            case U64 -> Long.toString(data.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(le), 8 * i));
            case I32 -> Integer.toString(data.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(le), 4 * i));
            case U32 -> Integer.toUnsignedString(data.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(le), 4 * i));
            case I16 -> Short.toString(data.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(le), 2 * i));
            case U16 -> Integer.toString(data.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(le), 2 * i) & 0xFFFF);
            case I8 -> Byte.toString(data.get(ValueLayout.JAVA_BYTE, i));
            case U8, BOOL -> Integer.toString(data.get(ValueLayout.JAVA_BYTE, i) & 0xFF);
            default -> throw new AssertionError(dtype);
        };
    }

    private static void assertBitsEqual(float[] want, float[] got, String name) {
        assertEquals(want.length, got.length, name);
        for (int i = 0; i < want.length; i++) {
            assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), name + "[" + i + "]");
        }
    }
}
