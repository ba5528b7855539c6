package io.peft4j.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.output.OutputExistsException;
import io.peft4j.safetensors.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Merge behaviour that needs no PEFT: output layout, name resolution, refusals, cleanup. */
class BaseMergerTest {

    private static final String CONFIG = "{\"model_type\": \"tiny\", \"tie_word_embeddings\": false}";
    private static final List<String> TARGETS = List.of("model.layers.0.proj", "model.layers.1.proj");

    @TempDir
    Path temp;

    private Path base(String prefix, String config) throws IOException {
        return TinyCheckpoints.base(temp.resolve("base"), prefix, DType.BF16, config);
    }

    private Path adapter(String name, int in, int out, Map<String, Object> config) throws IOException {
        return TinyCheckpoints.adapter(temp.resolve(name), 4, in, out, TARGETS, 3, config);
    }

    @Test
    void writesTheBaseLayoutShardedWithOtherFilesAndNoLeftovers() throws IOException {
        Path base = base("model.", CONFIG);
        Path out = temp.resolve("merged");
        MergeReport report = BaseMerger.merge(MergeOptions.builder(base, out)
                .adapter(adapter("a", 12, 16, Map.of())).maxShardSize(500).build());
        assertEquals(5, report.tensors());
        assertEquals(2, report.changed());
        assertTrue(report.shards() > 1);
        assertTrue(Files.exists(out.resolve("model.safetensors.index.json")));
        assertTrue(Files.exists(out.resolve("config.json")) && Files.exists(out.resolve("tokenizer.json")));
        try (BaseCheckpoint merged = BaseCheckpoint.open(out); BaseCheckpoint original = BaseCheckpoint.open(base)) {
            assertEquals(original.names(), merged.names());
            assertEquals(DType.BF16, merged.find("model.layers.0.proj.weight").orElseThrow().dtype());
            assertNotEquals(original.tensor("model.layers.0.proj.weight").toFloatArray()[0],
                    merged.tensor("model.layers.0.proj.weight").toFloatArray()[0]);
            assertArrayEquals(original.tensor("model.layers.0.proj.bias").toFloatArray(),
                    merged.tensor("model.layers.0.proj.bias").toFloatArray());
            assertEquals(DType.I64, merged.find("model.position_ids").orElseThrow().dtype());
        }
        try (Stream<Path> left = Files.list(temp)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith(".")), "temporary directory removed");
        }
    }

    @Test
    void convertsTheDtypeOnRequest() throws IOException {
        Path out = temp.resolve("f32");
        BaseMerger.merge(MergeOptions.builder(base("model.", CONFIG), out).adapter(adapter("a", 12, 16, Map.of()))
                .dtype(DType.F32).build());
        try (BaseCheckpoint merged = BaseCheckpoint.open(out)) {
            assertEquals(DType.F32, merged.find("model.layers.1.proj.bias").orElseThrow().dtype());
            assertEquals(DType.I64, merged.find("model.position_ids").orElseThrow().dtype());
        }
    }

    @Test
    void resolvesACheckpointWithoutTheTaskModelPrefix() throws IOException {
        // adapter made on a task model ("model.layers..."), checkpoint of the bare model ("layers...")
        Path out = temp.resolve("bare");
        MergeReport report = BaseMerger.merge(MergeOptions.builder(base("", CONFIG), out)
                .adapter(adapter("a", 12, 16, Map.of())).build());
        assertEquals(2, report.changed());
    }

    @Test
    void refusesAnAdapterForAnotherModel() throws IOException {
        Path base = base("model.", CONFIG);
        Path wrongShape = adapter("wrong", 10, 16, Map.of());
        MergeException e = assertThrows(MergeException.class,
                () -> BaseMerger.merge(MergeOptions.builder(base, temp.resolve("o")).adapter(wrongShape).build()));
        assertTrue(e.getMessage().contains("model.layers.0.proj") && e.getMessage().contains("[16, 10]"), e.getMessage());
        Path missing = TinyCheckpoints.adapter(temp.resolve("missing"), 4, 12, 16, List.of("model.layers.7.proj"), 3, Map.of());
        e = assertThrows(MergeException.class,
                () -> BaseMerger.merge(MergeOptions.builder(base, temp.resolve("o")).adapter(missing).build()));
        assertTrue(e.getMessage().contains("not in the base model"), e.getMessage());
        assertFalse(Files.exists(temp.resolve("o")));
    }

    @Test
    void refusesQuantizedBasesAndLayerReplication() throws IOException {
        Path quantized = base("model.", "{\"quantization_config\": {\"load_in_4bit\": true}}");
        Path a = adapter("a", 12, 16, Map.of());
        MergeException e = assertThrows(MergeException.class,
                () -> BaseMerger.merge(MergeOptions.builder(quantized, temp.resolve("o")).adapter(a).build()));
        assertTrue(e.getMessage().contains("quantized"), e.getMessage());
        Files.writeString(quantized.resolve("config.json"), CONFIG);
        Path replicated = adapter("rep", 12, 16, Map.of("layer_replication", List.of(List.of(0, 2))));
        e = assertThrows(MergeException.class,
                () -> BaseMerger.merge(MergeOptions.builder(quantized, temp.resolve("o")).adapter(replicated).build()));
        assertTrue(e.getMessage().contains("layer_replication"), e.getMessage());
    }

    @Test
    void refusesANonEmptyOutput() throws IOException {
        Path base = base("model.", CONFIG);
        Path out = Files.createDirectories(temp.resolve("full"));
        Files.writeString(out.resolve("keep.txt"), "mine");
        Path a = adapter("a", 12, 16, Map.of());
        assertThrows(OutputExistsException.class, () -> BaseMerger.merge(MergeOptions.builder(base, out).adapter(a).build()));
        assertEquals("mine", Files.readString(out.resolve("keep.txt")));
    }

    /** Streaming: a 40 MB bf16 model merges in a forked JVM whose whole heap is 16 MB. */
    @Test
    void mergesAModelLargerThanTheHeap() throws Exception {
        Path base = Files.createDirectories(temp.resolve("big"));
        java.util.Random rnd = new java.util.Random(7);
        List<TinyCheckpoints.Entry> entries = new java.util.ArrayList<>();
        List<String> modules = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            entries.add(TinyCheckpoints.random("model.layers." + i + ".proj.weight", DType.BF16, rnd, 512, 1024));
            modules.add("model.layers." + i + ".proj");
        }
        TinyCheckpoints.writeSafetensors(base.resolve("model.safetensors"), entries);
        entries.clear();
        Files.writeString(base.resolve("config.json"), CONFIG);
        Path adapter = TinyCheckpoints.adapter(temp.resolve("big-adapter"), 4, 1024, 512, modules, 5, Map.of());
        Path out = temp.resolve("big-merged");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-Xmx16m", "-cp", System.getProperty("java.class.path"),
                HeapLimitedMerge.class.getName(), base.toString(), adapter.toString(), out.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), output);
        assertTrue(Files.size(out.resolve("model.safetensors")) > 40_000_000L);
    }

    @Test
    void parsesWeightedAdapterSpecs() {
        assertEquals(new WeightedAdapter(Path.of("a/b"), 0.5), WeightedAdapter.parse("a/b:0.5"));
        assertEquals(new WeightedAdapter(Path.of("a/b"), 1.0), WeightedAdapter.parse("a/b"));
        assertEquals(new WeightedAdapter(Path.of("c:/x"), 1.0), WeightedAdapter.parse("c:/x"));
        assertEquals(new WeightedAdapter(Path.of("d"), -0.3), WeightedAdapter.parse("d:-0.3"));
    }
}
