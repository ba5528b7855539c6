package io.peft4j.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Adapters PEFT would refuse, or whose tensors contradict their config: each gets one clear line. */
class MalformedAdapterTest {

    @TempDir
    Path dir;

    private static final String CONFIG = """
            {"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"], "some_future_field": {"x": [1, 2]}}
            """;

    private final Map<String, long[]> tensors = new LinkedHashMap<>();

    private Path write(String config) throws IOException {
        Files.writeString(dir.resolve("adapter_config.json"), config);
        List<TensorSpec> specs = new ArrayList<>();
        tensors.forEach((name, shape) -> specs.add(new TensorSpec(name, DType.F32, shape)));
        try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve("adapter_model.safetensors"), specs, Map.of("format", "pt"))) {
            for (TensorSpec s : specs) {
                float[] values = new float[(int) java.util.Arrays.stream(s.shape()).reduce(1, (a, b) -> a * b)];
                java.util.Arrays.fill(values, 0.5f);
                w.write(s.name(), values);
            }
            w.commit();
        }
        return dir;
    }

    private String failure(String config) throws IOException {
        Path d = write(config);
        AdapterFormatException e = assertThrows(AdapterFormatException.class, () -> LoraAdapter.load(d).close());
        assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
        return e.getMessage();
    }

    private void pair(String module, int rank, int in, int out) {
        tensors.put("base_model.model." + module + ".lora_A.weight", new long[] {rank, in});
        tensors.put("base_model.model." + module + ".lora_B.weight", new long[] {out, rank});
    }

    @Test
    void aWellFormedAdapterLoadsAndKeepsUnknownFields() throws IOException {
        pair("model.layers.0.self_attn.q_proj", 2, 8, 8);
        try (LoraAdapter a = LoraAdapter.load(write(CONFIG))) {
            assertEquals(1, a.modules().size());
            assertEquals(2.0, a.modules().get(0).scaling());
            assertTrue(a.config().toJson().contains("some_future_field"));
            Path copy = a.config().with("r", 4).writeTo(dir.resolve("copy"));
            AdapterConfig back = AdapterConfig.read(copy);
            assertEquals(4, back.rank());
            assertEquals(a.config().field("some_future_field"), back.field("some_future_field"));
        }
    }

    @Test
    void rankMismatchBetweenAAndB() throws IOException {
        tensors.put("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", new long[] {2, 8});
        tensors.put("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", new long[] {8, 3});
        assertTrue(failure(CONFIG).contains("lora_A has rank 2 but lora_B has rank 3"));
    }

    @Test
    void rankDifferentFromConfig() throws IOException {
        pair("model.layers.0.self_attn.q_proj", 4, 8, 8);
        assertTrue(failure(CONFIG).contains("has rank 4 but the config says r=2"));
    }

    @Test
    void moduleTheConfigDoesNotTarget() throws IOException {
        pair("model.layers.0.self_attn.k_proj", 2, 8, 8);
        assertTrue(failure(CONFIG).contains("does not target it"));
    }

    @Test
    void halfAPair() throws IOException {
        tensors.put("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", new long[] {2, 8});
        assertTrue(failure(CONFIG).contains("lora_A but no lora_B"));
    }

    @Test
    void doraWithoutMagnitude() throws IOException {
        pair("model.layers.0.self_attn.q_proj", 2, 8, 8);
        assertTrue(failure(CONFIG.replace("\"r\": 2", "\"r\": 2, \"use_dora\": true")).contains("no lora_magnitude_vector"));
    }

    @Test
    void configErrors() throws IOException {
        pair("model.layers.0.self_attn.q_proj", 2, 8, 8);
        assertTrue(failure("{not json").contains("not valid JSON"));
        assertTrue(failure("[1, 2]").contains("expected a JSON object"));
        assertTrue(failure(CONFIG.replace("\"r\": 2", "\"r\": \"two\"")).contains("field r must be an integer"));
        assertTrue(failure(CONFIG.replace("\"r\": 2", "\"r\": 0")).contains("r must be an integer from 1 to 2147483647, got 0"));
        assertTrue(failure(CONFIG.replace("[\"q_proj\"]", "42")).contains("target_modules must be a string or a list"));
        assertTrue(failure(CONFIG.replace("\"r\": 2", "\"r\": 2, \"rank_pattern\": {\"q\": -1}")).contains("rank_pattern"));
        assertTrue(failure(CONFIG.replace("LORA", "IA3")).contains("is not LoRA"));
    }

    @Test
    void integerFieldsAreRangeCheckedNotWrapped() throws IOException {
        pair("model.layers.0.self_attn.q_proj", 4, 8, 8); // rank 4: what 4294967300 wraps to as a 32-bit int
        String rank = "\"r\": 2";
        assertEndsWith("r must be an integer from 1 to 2147483647, got 4294967300",
                failure(CONFIG.replace(rank, "\"r\": 4294967300")));
        assertEndsWith("got 1099511627776", failure(CONFIG.replace(rank, "\"r\": 1099511627776")));
        rank = "\"r\": 4";
        String config = CONFIG.replace("\"r\": 2", rank);
        assertEndsWith("rank_pattern[\"q_proj\"] must be an integer from 1 to 2147483647, got 4294967300",
                failure(config.replace(rank, rank + ", \"rank_pattern\": {\"q_proj\": 4294967300}")));
        assertEndsWith("layers_to_transform must be an integer from 0 to 2147483647, got 4294967296",
                failure(config.replace(rank, rank + ", \"layers_to_transform\": [0, 4294967296]")));
        assertEndsWith("layers_to_transform must be an integer from 0 to 2147483647, got -1",
                failure(config.replace(rank, rank + ", \"layers_to_transform\": -1")));
        assertEndsWith("layer_replication must be an integer from 0 to 2147483647, got 4294967296",
                failure(config.replace(rank, rank + ", \"layer_replication\": [[0, 4294967296]]")));
        assertEndsWith("layer_replication must be a list of [start, end] pairs, got [0,1,2]",
                failure(config.replace(rank, rank + ", \"layer_replication\": [[0, 1, 2]]")));
        assertEndsWith("lora_alpha must be a finite number; it is too large for a double",
                failure(config.replace("\"lora_alpha\": 4", "\"lora_alpha\": 1e400")));
    }

    @Test
    void aDoubledPrefixCopyOfAModuleIsAmbiguous() throws IOException {
        pair("model.layers.0.self_attn.q_proj", 2, 8, 8);
        pair("base_model.model.model.layers.0.self_attn.q_proj", 2, 8, 8);
        String message = failure(CONFIG);
        assertTrue(message.contains(" base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight ")
                && message.contains(" base_model.model.base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight ")
                && message.endsWith(" are the same lora_A.weight of model.layers.0.self_attn.q_proj"
                        + " (a doubled base_model.model. prefix?); keep one"), message);
    }

    private static void assertEndsWith(String end, String message) {
        assertTrue(message.endsWith(end), message);
    }

    @Test
    void aConfigThatIsNotJsonIsNotQuoted(@TempDir Path elsewhere) throws IOException {
        Path passwd = Files.writeString(elsewhere.resolve("passwd"), "rootsecret:x:0:0:root:/root:/bin/bash\n");
        Files.createSymbolicLink(dir.resolve("adapter_config.json"), passwd);
        AdapterFormatException e = assertThrows(AdapterFormatException.class, () -> AdapterConfig.read(dir));
        assertEquals(dir.resolve("adapter_config.json") + ": not valid JSON (unrecognized token at line 1, column 1)", e.getMessage());
        Files.delete(dir.resolve("adapter_config.json"));
        e = assertThrows(AdapterFormatException.class, () -> AdapterConfig.parse("{\"r\": [1, 2", dir));
        assertEquals(dir + ": not valid JSON (unexpected end of input at line 1, column 12)", e.getMessage());
    }

    @Test
    void pickleIsNeverLoaded() throws IOException {
        Files.writeString(dir.resolve("adapter_config.json"), CONFIG);
        Files.write(dir.resolve("adapter_model.bin"), new byte[] {(byte) 0x80, 2});
        AdapterFormatException e = assertThrows(AdapterFormatException.class, () -> LoraAdapter.load(dir));
        assertTrue(e.getMessage().contains("never loaded") && e.getMessage().contains("save_file"), e.getMessage());
    }

    @Test
    void missingDirectoryAndFiles() {
        assertTrue(assertThrows(AdapterFormatException.class, () -> LoraAdapter.load(dir.resolve("nope")))
                .getMessage().contains("not an adapter directory"));
        assertTrue(assertThrows(AdapterFormatException.class, () -> LoraAdapter.load(dir))
                .getMessage().contains("no adapter_config.json"));
    }

    @Test
    void patternKeysFollowPeft() {
        AdapterConfig c = AdapterConfig.parse("""
                {"r": 8, "lora_alpha": 16, "rank_pattern": {"v_proj": 4, "layers.1.self_attn.v_proj": 2},
                 "alpha_pattern": {"^model.layers.0.self_attn.q_proj": 4}, "use_rslora": true}""", Path.of("x.json"));
        assertEquals(4, c.rankFor("model.layers.1.self_attn.v_proj"), "first match in dict order wins");
        assertEquals(8, c.rankFor("model.layers.1.self_attn.xv_proj"), "a key matches whole dot-separated suffixes");
        assertEquals(4.0, c.alphaFor("model.layers.0.self_attn.q_proj"));
        assertEquals(16.0 / Math.sqrt(8), c.scalingFor("model.layers.2.mlp.up_proj"));
    }
}
