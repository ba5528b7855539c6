package io.peft4j.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.peft4j.core.Peft4jException;
import io.peft4j.safetensors.SafetensorsFormatException.Rule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sharded checkpoints against one written by transformers' {@code save_pretrained(max_shard_size="12KB")}. */
class ShardedSafetensorsTest {

    private static final Path SHARDED = Fixtures.file("sharded");

    @TempDir
    Path dir;

    private static List<TensorSpec> stateDictLayout() {
        List<TensorSpec> specs = new ArrayList<>();
        for (JsonNode t : Fixtures.expected().get("sharded").get("state_dict")) {
            long[] shape = new long[t.get("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = t.get("shape").get(i).asLong();
            }
            specs.add(new TensorSpec(t.get("name").asText(), DType.fromSafetensorsName(t.get("dtype").asText()), shape));
        }
        return specs;
    }

    @Test
    void readsTransformersShardsAsOneSource() throws IOException {
        List<TensorSpec> layout = stateDictLayout();
        try (TensorSource source = Safetensors.open(SHARDED)) {
            ShardedSafetensors sharded = assertInstanceOf(ShardedSafetensors.class, source);
            assertEquals(3, sharded.shards().size());
            assertEquals(SHARDED.resolve(ShardedSafetensors.INDEX_NAME), source.path());
            assertEquals(Map.of("format", "pt"), source.metadata());
            assertEquals(Long.toString(layout.stream().mapToLong(TensorSpec::byteSize).sum()),
                    sharded.indexMetadata().get("total_size"));
            assertEquals(Fixtures.expected().get("sharded").get("num_parameters").asText(),
                    sharded.indexMetadata().get("total_parameters"));
            assertEquals(layout.size(), source.tensors().size());
            for (TensorSpec spec : layout) {
                Tensor t = source.tensor(spec.name());
                assertEquals(spec, TensorSpec.of(t.info()));
                try (SafetensorsFile shard = SafetensorsFile.open(sharded.shardOf(spec.name()).orElseThrow().path())) {
                    assertEquals(-1L, shard.tensor(spec.name()).data().mismatch(t.data()));
                }
            }
            TensorNotFoundException e = assertThrows(TensorNotFoundException.class, () -> source.info("nope"));
            assertTrue(e.getMessage().startsWith(source.path().toString()), e.getMessage());
        }
        try (TensorSource viaIndex = Safetensors.open(SHARDED.resolve(ShardedSafetensors.INDEX_NAME))) {
            assertEquals(layout.size(), viaIndex.tensors().size());
        }
    }

    @Test
    void writesTheSameFilesAsTransformers() throws IOException {
        long max = ShardedSafetensorsWriter.parseSize(Fixtures.expected().get("sharded").get("max_shard_size").asText());
        try (TensorSource source = Safetensors.open(SHARDED);
             ShardedSafetensorsWriter out = ShardedSafetensorsWriter.create(dir, stateDictLayout(), max)) {
            assertTrue(out.isSharded());
            for (TensorSpec spec : stateDictLayout().reversed()) {
                out.write(source.tensor(spec.name()));
            }
            out.commit();
        }
        List<String> expectedFiles = SafetensorsWriterTest.listNames(SHARDED);
        assertEquals(expectedFiles, SafetensorsWriterTest.listNames(dir));
        for (String name : expectedFiles) {
            assertArrayEquals(Files.readAllBytes(SHARDED.resolve(name)), Files.readAllBytes(dir.resolve(name)), name);
        }
    }

    @Test
    void plansShardsLikeHuggingfaceHub() {
        for (JsonNode plan : Fixtures.expected().get("sharding").get("plans")) {
            List<TensorSpec> specs = new ArrayList<>();
            int i = 0;
            for (JsonNode size : plan.get("sizes")) {
                specs.add(new TensorSpec("t" + i++, DType.U8, new long[] {size.asLong()}));
            }
            Map<String, List<String>> got = new LinkedHashMap<>();
            for (var shard : ShardedSafetensorsWriter.plan(specs, plan.get("max_shard_size").asLong(), "model.safetensors")) {
                got.put(shard.fileName(), shard.tensors().stream().map(TensorSpec::name).toList());
            }
            Map<String, List<String>> want = new LinkedHashMap<>();
            plan.get("filename_to_tensors").properties().forEach(e -> {
                List<String> names = new ArrayList<>();
                e.getValue().forEach(n -> names.add(n.asText()));
                want.put(e.getKey(), names);
            });
            assertEquals(want, got, plan.toString());
        }
    }

    @Test
    void parsesSizesLikeHuggingfaceHub() {
        Fixtures.expected().get("sharding").get("parse_size_to_int").properties().forEach(e ->
                assertEquals(e.getValue().asLong(), ShardedSafetensorsWriter.parseSize(e.getKey()), e.getKey()));
        assertEquals(1234, ShardedSafetensorsWriter.parseSize("1234"));
        for (String bad : List.of("", "GB", "5XB", "abcMB", "-1GB")) {
            assertThrows(IllegalArgumentException.class, () -> ShardedSafetensorsWriter.parseSize(bad), bad);
        }
    }

    @Test
    void oneShardIsAPlainModelFileAndReplacesAnEarlierShardedSave() throws IOException {
        Files.writeString(dir.resolve("model-00001-of-00002.safetensors"), "stale");
        Files.writeString(dir.resolve("model-00002-of-00002.safetensors"), "stale");
        Files.writeString(dir.resolve(ShardedSafetensors.INDEX_NAME), "{}");
        Files.writeString(dir.resolve("model-notes.txt"), "kept");
        List<TensorSpec> specs = List.of(new TensorSpec("b", DType.BF16, new long[] {3}),
                new TensorSpec("a", DType.F32, new long[] {2}));
        try (ShardedSafetensorsWriter out = ShardedSafetensorsWriter.create(dir, "model.safetensors", specs,
                1_000_000, Map.of("format", "pt"), OptionalLong.of(99))) {
            assertFalse(out.isSharded());
            out.write("a", new float[] {1, 2});
            out.write("b", new float[] {3, 4, 5});
            out.commit();
        }
        assertEquals(List.of("model-notes.txt", "model.safetensors"), SafetensorsWriterTest.listNames(dir));
        try (TensorSource source = Safetensors.open(dir)) {
            assertInstanceOf(SafetensorsFile.class, source);
            assertArrayEquals(new float[] {3, 4, 5}, source.tensor("b").toFloatArray());
        }
    }

    @Test
    void indexJsonEscapesLikePython() {
        List<TensorSpec> specs = List.of(new TensorSpec("é\u007f\"q", DType.F32, new long[] {2}),
                new TensorSpec("😀", DType.F32, new long[] {2}), new TensorSpec("Z", DType.F32, new long[] {2}));
        try (ShardedSafetensorsWriter out = ShardedSafetensorsWriter.create(dir, specs, 8)) {
            assertEquals("""
                    {
                      "metadata": {
                        "total_parameters": 6,
                        "total_size": 24
                      },
                      "weight_map": {
                        "Z": "model-00003-of-00003.safetensors",
                        "\\u00e9\\u007f\\"q": "model-00001-of-00003.safetensors",
                        "\\ud83d\\ude00": "model-00002-of-00003.safetensors"
                      }
                    }
                    """, out.indexJson());
        }
    }

    @Test
    void uncommittedShardsLeaveNothing() throws IOException {
        List<TensorSpec> specs = List.of(new TensorSpec("a", DType.F32, new long[] {2}),
                new TensorSpec("b", DType.F32, new long[] {2}));
        try (ShardedSafetensorsWriter out = ShardedSafetensorsWriter.create(dir, specs, 8)) {
            out.write("a", new float[] {1, 2});
            assertThrows(IllegalStateException.class, out::commit);
        }
        assertEquals(List.of(), SafetensorsWriterTest.listNames(dir));
    }

    @Test
    void brokenIndexesAreRejected() throws IOException {
        Path good = Fixtures.file("sharded");
        for (String name : SafetensorsWriterTest.listNames(good)) {
            Files.copy(good.resolve(name), dir.resolve(name));
        }
        Path index = dir.resolve(ShardedSafetensors.INDEX_NAME);
        String original = Files.readString(index);
        expectRule(index, "{\"weight_map\": ", Rule.INVALID_INDEX);
        expectRule(index, "[]", Rule.INVALID_INDEX);
        expectRule(index, "{\"metadata\": {}}", Rule.INVALID_INDEX);
        expectRule(index, "{\"weight_map\": {\"a\": 3}}", Rule.INVALID_INDEX);
        expectRule(index, "{\"weight_map\": {\"a\": \"x.safetensors\", \"a\": \"y.safetensors\"}}", Rule.INVALID_INDEX);
        expectRule(index, "{\"weight_map\": {\"a\": \"../model-00001-of-00003.safetensors\"}}", Rule.INVALID_INDEX);
        expectRule(index, original.replace("model-00003-of-00003", "model-00004-of-00003"), Rule.SHARD_MISSING);
        expectRule(index, original.replace("\"lm_head.weight\": \"model-00003", "\"lm_head.weight\": \"model-00001"),
                Rule.SHARD_TENSOR_MISSING);
        Files.write(dir.resolve("model-00002-of-00003.safetensors"), new byte[] {1, 2, 3});
        expectRule(index, original, Rule.FILE_TOO_SMALL);
    }

    private static void expectRule(Path index, String content, Rule rule) throws IOException {
        Files.writeString(index, content);
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                () -> ShardedSafetensors.open(index.getParent()), content);
        assertEquals(rule, e.rule(), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().contains(index.getParent().toString()), e.getMessage());
    }

    @Test
    void openAnyFindsTheRightFile() throws IOException {
        Path one = Files.createDirectory(dir.resolve("one"));
        Files.copy(Fixtures.file("metadata.safetensors"), one.resolve("adapter_model.safetensors"));
        try (TensorSource s = Safetensors.open(one)) {
            assertEquals(one.resolve("adapter_model.safetensors"), s.path());
        }
        Files.copy(Fixtures.file("dtypes.safetensors"), one.resolve("other.safetensors"));
        Peft4jException several = assertThrows(Peft4jException.class, () -> Safetensors.open(one));
        assertTrue(several.getMessage().contains("adapter_model.safetensors, other.safetensors"), several.getMessage());
        Files.copy(Fixtures.file("dtypes.safetensors"), one.resolve(Safetensors.MODEL_FILE));
        try (TensorSource s = Safetensors.open(one)) {
            assertEquals(one.resolve(Safetensors.MODEL_FILE), s.path());
        }
        Peft4jException absent = assertThrows(Peft4jException.class,
                () -> Safetensors.open(dir.resolve("absent.safetensors.index.json")));
        assertEquals(dir.resolve("absent.safetensors.index.json") + ": no such file", absent.getMessage());
        Path empty = Files.createDirectory(dir.resolve("empty"));
        Peft4jException none = assertThrows(Peft4jException.class, () -> Safetensors.open(empty));
        assertTrue(none.getMessage().startsWith(empty.toString()), none.getMessage());
        try (Stream<Path> s = Files.list(empty)) {
            assertEquals(0, s.count());
        }
    }
}
