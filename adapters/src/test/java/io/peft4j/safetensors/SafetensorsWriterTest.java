package io.peft4j.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.core.Peft4jException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The writer against files Python's {@code safetensors.torch.save_file} wrote: bytes must be identical. */
class SafetensorsWriterTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"dtypes.safetensors", "names.safetensors", "metadata.safetensors", "empty.safetensors",
            "sharded/model-00001-of-00003.safetensors", "sharded/model-00003-of-00003.safetensors"})
    void rewritingAPythonFileGivesTheSameBytes(String fixture) throws IOException {
        Path original = Fixtures.file(fixture);
        Path copy = dir.resolve("copy.safetensors");
        try (SafetensorsFile in = SafetensorsFile.open(original)) {
            List<TensorSpec> specs = new ArrayList<>(in.tensors().stream().map(TensorSpec::of).toList());
            Collections.shuffle(specs, new Random(fixture.hashCode()));
            try (SafetensorsWriter out = SafetensorsWriter.create(copy, specs, in.metadata())) {
                for (TensorSpec spec : specs) {
                    out.write(in.tensor(spec.name()));
                }
                out.commit();
            }
        }
        if (fixture.equals("metadata.safetensors")) {
            // Python writes a several-key __metadata__ in Rust HashMap order (random per process), peft4j sorted:
            // same header content, different key order, so compare what a reader sees.
            assertSameContent(original, copy);
        } else {
            assertArrayEquals(Files.readAllBytes(original), Files.readAllBytes(copy), fixture);
        }
        assertEquals(List.of("copy.safetensors"), listNames(dir));
    }

    @Test
    void floatWritesRoundLikeTorchAndReadBack() {
        Path file = dir.resolve("f.safetensors");
        float[] values = {1.00390625f, -3.3f, 65504f, 1e-8f, 448f, Float.POSITIVE_INFINITY};
        List<TensorSpec> specs = Stream.of(DType.F64, DType.F32, DType.F16, DType.BF16, DType.F8_E4M3, DType.F8_E5M2)
                .map(t -> new TensorSpec(t.safetensorsName(), t, new long[] {2, 3})).toList();
        try (SafetensorsWriter out = SafetensorsWriter.create(file, specs, null)) {
            for (TensorSpec s : specs) {
                out.write(s.name(), values);
            }
            out.commit();
        }
        try (SafetensorsFile in = SafetensorsFile.open(file)) {
            assertArrayEquals(values, in.tensor("F32").toFloatArray());
            assertArrayEquals(values, in.tensor("F64").toFloatArray());
            float[] bf16 = in.tensor("BF16").toFloatArray();
            float[] f16 = in.tensor("F16").toFloatArray();
            float[] e4m3 = in.tensor("F8_E4M3").toFloatArray();
            for (int i = 0; i < values.length; i++) {
                assertEquals(Tensor.bf16BitsToFloat(Tensor.floatToBf16Bits(values[i])), bf16[i]);
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(values[i])), f16[i]);
                assertEquals(Tensor.f8E4M3ToFloat(Float8.floatToE4M3(values[i])), e4m3[i], 0f);
            }
            assertEquals(Map.of(), in.metadata());
        }
    }

    @Test
    void closeWithoutCommitLeavesNothing() throws IOException {
        Path file = dir.resolve("never.safetensors");
        try (SafetensorsWriter out = SafetensorsWriter.create(file,
                List.of(new TensorSpec("a", DType.F32, new long[] {2})), Map.of("k", "v"))) {
            out.write("a", new float[] {1, 2});
        }
        assertFalse(Files.exists(file));
        assertEquals(List.of(), listNames(dir));
    }

    @Test
    void misuseIsRejected() {
        Path file = dir.resolve("bad.safetensors");
        List<TensorSpec> specs = List.of(new TensorSpec("a", DType.F32, new long[] {2}),
                new TensorSpec("b", DType.I32, new long[] {1}));
        try (SafetensorsWriter out = SafetensorsWriter.create(file, specs, null)) {
            assertThrows(IllegalArgumentException.class, () -> out.write("a", new float[] {1}));
            assertThrows(IllegalArgumentException.class, () -> out.write("zzz", new float[] {1, 2}));
            assertThrows(IllegalArgumentException.class, () -> out.write("b", new float[] {1}));
            out.write("a", new float[] {1, 2});
            assertThrows(IllegalStateException.class, () -> out.write("a", new float[] {1, 2}));
            assertThrows(IllegalStateException.class, out::commit);
        }
        assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.create(file,
                List.of(new TensorSpec("a", DType.F32, new long[] {2}), new TensorSpec("a", DType.F16, new long[] {1})),
                null));
        assertThrows(IllegalArgumentException.class, () -> new TensorSpec("n", DType.F32, new long[] {-1}));
        assertFalse(Files.exists(file));
    }

    @Test
    void missingDirectoryIsAUserError() {
        Path file = dir.resolve("no").resolve("such").resolve("x.safetensors");
        Peft4jException e = assertThrows(Peft4jException.class, () -> SafetensorsWriter.create(file, List.of(), null));
        assertEquals(file + ": cannot write: directory " + file.getParent() + " does not exist", e.getMessage());
    }

    @Test
    void commitReplacesAnExistingFile() throws IOException {
        Path file = dir.resolve("x.safetensors");
        Files.writeString(file, "old");
        try (SafetensorsWriter out = SafetensorsWriter.create(file, List.of(), Map.of("a", "b"))) {
            assertTrue(Files.readString(file).equals("old"));
            out.commit();
        }
        try (SafetensorsFile in = SafetensorsFile.open(file)) {
            assertEquals(Map.of("a", "b"), in.metadata());
        }
    }

    static void assertSameContent(Path expected, Path actual) {
        try (SafetensorsFile a = SafetensorsFile.open(expected); SafetensorsFile b = SafetensorsFile.open(actual)) {
            assertEquals(a.metadata(), b.metadata());
            assertEquals(a.tensors(), b.tensors());
            for (TensorInfo info : a.tensors()) {
                assertEquals(-1L, a.tensor(info.name()).data().mismatch(b.tensor(info.name()).data()), info.name());
            }
        }
    }

    static List<String> listNames(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
