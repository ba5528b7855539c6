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

    @Test
    void refusesSymbolicLinksOutOfTheBaseFolder() throws IOException {
        Path secret = Files.writeString(Files.createDirectories(temp.resolve("outside")).resolve("hostname"),
                "root:x:0:0:secret-host\n");
        Path a = adapter("a", 12, 16, Map.of());
        for (String name : List.of("tokenizer.json", "config.json", "model.safetensors")) {
            Path base = base("model.", CONFIG);
            Path link = base.resolve(name);
            if (name.equals("model.safetensors")) { // a valid checkpoint, but another folder's
                Files.move(link, temp.resolve("outside").resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                Files.createSymbolicLink(link, temp.resolve("outside").resolve(name));
            } else {
                Files.delete(link);
                Files.createSymbolicLink(link, secret);
            }
            MergeException e = assertThrows(MergeException.class,
                    () -> BaseMerger.merge(MergeOptions.builder(base, temp.resolve("o")).adapter(a).build()), name);
            assertTrue(e.getMessage().startsWith(link + ": a symbolic link to ") && e.getMessage().contains("outside the model folder"),
                    e.getMessage());
            assertFalse(e.getMessage().contains("secret-host"), e.getMessage());
            assertFalse(Files.exists(temp.resolve("o")));
            deleteTree(base);
        }
    }

    @Test
    void followsLinksInsideTheFolderAndIntoAHuggingFaceCachesBlobs() throws IOException {
        Path repo = temp.resolve("hub").resolve("models--someone--tiny");
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve("0123abcd"));
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        Path made = base("model.", CONFIG);
        try (Stream<Path> files = Files.list(made)) {
            for (Path file : files.toList()) {
                Path blob = Files.move(file, blobs.resolve("etag-" + file.getFileName()));
                Files.createSymbolicLink(snapshot.resolve(file.getFileName()), Path.of("../../blobs").resolve(blob.getFileName()));
            }
        }
        Files.delete(snapshot.resolve("tokenizer.json")); // now a link to a file inside the folder
        Files.writeString(Files.createDirectories(snapshot.resolve("extra")).resolve("tokenizer.json"), "{\"not\": \"a real tokenizer\"}");
        Files.createSymbolicLink(snapshot.resolve("tokenizer.json"), Path.of("extra/tokenizer.json"));
        Path out = temp.resolve("merged");
        BaseMerger.merge(MergeOptions.builder(snapshot, out).adapter(adapter("a", 12, 16, Map.of())).build());
        assertFalse(Files.isSymbolicLink(out.resolve("tokenizer.json")));
        assertEquals("{\"not\": \"a real tokenizer\"}", Files.readString(out.resolve("tokenizer.json")));
        assertEquals(CONFIG, Files.readString(out.resolve("config.json")));
    }

    @Test
    void refusesNonFiniteMergedWeightsUnlessAllowed() throws IOException {
        Path base = base("model.", CONFIG);
        Path huge = adapter("huge", 12, 16, Map.of("lora_alpha", 1e308));
        // every layer overflows, and on any number of cores the error names the first, as one thread would
        for (int run = 0; run < 20; run++) {
            MergeException e = assertThrows(MergeException.class,
                    () -> BaseMerger.merge(MergeOptions.builder(base, temp.resolve("o")).adapter(huge).build()));
            assertTrue(e.getMessage().startsWith(huge + " (module model.layers.0.proj) makes model.layers.0.proj.weight "), e.getMessage());
            assertTrue(e.getMessage().contains("--allow-non-finite"), e.getMessage());
            assertFalse(Files.exists(temp.resolve("o")));
        }

        Path nan = adapter("nan", 12, 16, Map.of());
        float[] b = new float[16 * 4];
        b[5] = Float.NaN;
        TinyCheckpoints.writeSafetensors(nan.resolve("adapter_model.safetensors"), List.of(
                TinyCheckpoints.random("base_model.model.model.layers.0.proj.lora_A.weight", DType.F32, new java.util.Random(1), 4, 12),
                new TinyCheckpoints.Entry("base_model.model.model.layers.0.proj.lora_B.weight", DType.F32, new long[] {16, 4}, b)));
        MergeException e = assertThrows(MergeException.class,
                () -> BaseMerger.merge(MergeOptions.builder(base, temp.resolve("o")).adapter(nan).build()));
        assertTrue(e.getMessage().contains("makes model.layers.0.proj.weight NaN"), e.getMessage());

        Path out = temp.resolve("allowed");
        BaseMerger.merge(MergeOptions.builder(base, out).adapter(nan).allowNonFinite(true).build());
        try (BaseCheckpoint merged = BaseCheckpoint.open(out)) {
            float[] w = merged.tensor("model.layers.0.proj.weight").toFloatArray();
            assertTrue(Float.isNaN(w[12 * 1]), "row 1 holds the NaN of B[1][1]");
        }
    }

    @Test
    void theOutputFolderHasTheUmasksPermissionsNot0700() throws IOException {
        Path out = temp.resolve("merged");
        BaseMerger.merge(MergeOptions.builder(base("model.", CONFIG), out).adapter(adapter("a", 12, 16, Map.of())).build());
        Path probe = Files.createDirectory(temp.resolve("probe"));
        assertEquals(Files.getPosixFilePermissions(probe), Files.getPosixFilePermissions(out));
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
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
