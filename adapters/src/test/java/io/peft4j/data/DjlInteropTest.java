package io.peft4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.peft4j.core.Peft4jException;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.Safetensors;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.Tensor;
import io.peft4j.safetensors.TensorSource;
import io.peft4j.safetensors.TensorSpec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DjlInteropTest {

    /** The engine bundled in ai.djl.huggingface:tokenizers; it runs offline from the jar's natives. */
    private static final String ENGINE = "Rust";

    static {
        System.setProperty("ai.djl.offline", "true");
    }

    @TempDir
    Path dir;

    @Test
    void dtypeMappingAgreesWithDjlsOwnSafetensorsNames() {
        int checked = 0;
        for (DType dtype : DType.values()) {
            DataType djl;
            try {
                djl = DataType.fromSafetensors(dtype.safetensorsName());
            } catch (IllegalArgumentException e) {
                continue;
            }
            assertEquals(djl, DjlInterop.toDjl(dtype), dtype.name());
            assertEquals(dtype.safetensorsName(), DjlInterop.toDjl(dtype).asSafetensors());
            checked++;
        }
        assertEquals(9, checked, "DJL names F64, F32, F16, BF16, I64, I32, I8, U8 and BOOL");
    }

    @Test
    void everyDtypeDjlHasATypeForRoundTrips() {
        for (DType dtype : DType.values()) {
            if (dtype.name().startsWith("F8_") || dtype.bitSize() < 8 || dtype == DType.C64) {
                assertEquals("dtype " + dtype.safetensorsName() + " has no DJL DataType; convert it to F32 or BF16 first",
                        assertThrows(Peft4jException.class, () -> DjlInterop.toDjl(dtype)).getMessage());
            } else {
                assertEquals(dtype, DjlInterop.fromDjl(DjlInterop.toDjl(dtype)));
                assertEquals(dtype.byteSize(), DjlInterop.toDjl(dtype).getNumOfBytes(), dtype.name());
            }
        }
        assertThrows(Peft4jException.class, () -> DjlInterop.fromDjl(DataType.STRING));
    }

    @Test
    void shapesMapBothWays() {
        assertEquals(new Shape(3, 4), DjlInterop.toDjl(new long[] {3, 4}));
        assertEquals(new Shape(), DjlInterop.toDjl(new long[0]));
        assertArrayEquals(new long[] {2, 0, 5}, DjlInterop.fromDjl(new Shape(2, 0, 5)));
    }

    @Test
    void safetensorsFileBecomesNamedArraysWithTheSameBytes() {
        assumeTrue(Engine.hasEngine(ENGINE), "no DJL " + ENGINE + " engine on the class path");
        List<TensorSpec> specs = new ArrayList<>();
        DType[] dtypes = {DType.F32, DType.BF16, DType.F16, DType.F64, DType.I64, DType.I32, DType.I8, DType.U8, DType.BOOL};
        for (DType dtype : dtypes) {
            specs.add(new TensorSpec("t_" + dtype.safetensorsName(), dtype, new long[] {3, 5}));
        }
        specs.add(new TensorSpec("scalar", DType.F32, new long[0]));
        Path file = dir.resolve("all.safetensors");
        Random random = new Random(7);
        try (Arena arena = Arena.ofConfined(); SafetensorsWriter writer = SafetensorsWriter.create(file, specs, Map.of())) {
            for (TensorSpec spec : specs) {
                MemorySegment bytes = arena.allocate(spec.byteSize());
                for (long i = 0; i < bytes.byteSize(); i++) {
                    int b = spec.dtype() == DType.BOOL ? random.nextInt(2) : random.nextInt(256);
                    bytes.set(ValueLayout.JAVA_BYTE, i, (byte) b);
                }
                if (spec.dtype().isFloatingPoint()) {
                    float[] values = new float[(int) spec.numel()];
                    for (int i = 0; i < values.length; i++) {
                        values[i] = (float) random.nextGaussian();
                    }
                    writer.write(spec.name(), values);
                } else {
                    writer.write(spec.name(), bytes);
                }
            }
            writer.commit();
        }
        try (TensorSource source = Safetensors.open(file); NDManager manager = NDManager.newBaseManager(ENGINE)) {
            NDList list = DjlInterop.toNDList(manager, source);
            assertEquals(specs.size(), list.size());
            for (NDArray array : list) {
                Tensor tensor = source.tensor(array.getName());
                assertEquals(DjlInterop.toDjl(tensor.dtype()), array.getDataType(), tensor.name());
                assertEquals(DjlInterop.toDjl(tensor.shape()), array.getShape(), tensor.name());
                assertArrayEquals(bytes(tensor), bytes(array), tensor.name());
            }
            float[] expected = source.tensor("t_BF16").toFloatArray();
            assertArrayEquals(expected, list.get("t_BF16").toType(DataType.FLOAT32, false).toFloatArray());
        }
    }

    @Test
    void realPeftAdapterBecomesAnNDList() {
        assumeTrue(Engine.hasEngine(ENGINE), "no DJL " + ENGINE + " engine on the class path");
        Path adapter = realAdapters().resolve("opt125m-bf16-qv");
        assumeTrue(Files.isDirectory(adapter), "real adapters not found at " + adapter);
        try (TensorSource source = Safetensors.open(adapter); NDManager manager = NDManager.newBaseManager(ENGINE)) {
            NDList list = DjlInterop.toNDList(manager, source);
            assertEquals(source.tensors().size(), list.size());
            for (NDArray array : list) {
                Tensor tensor = source.tensor(array.getName());
                assertEquals(DataType.BFLOAT16, array.getDataType());
                assertArrayEquals(bytes(tensor), bytes(array), tensor.name());
            }
            NDArray first = list.getFirst();
            assertArrayEquals(source.tensor(first.getName()).toFloatArray(),
                    first.toType(DataType.FLOAT32, false).toFloatArray());
        }
    }

    private static byte[] bytes(Tensor tensor) {
        return tensor.data().toArray(ValueLayout.JAVA_BYTE);
    }

    private static byte[] bytes(NDArray array) {
        ByteBuffer buffer = array.toByteBuffer();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    private static Path realAdapters() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared").resolve("real-adapters");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        return Path.of("..", "..", "shared", "real-adapters");
    }
}
