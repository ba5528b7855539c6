package io.peft4j.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the GGUF conversion needs from the base model's {@code config.json} (no weights are read):
 * the architecture, the layer count, the attention and key-value head counts (for llama.cpp's q/k
 * row permutation) and whether the output head is tied to the token embedding.
 *
 * @param source the config file
 * @param transformersClass {@code architectures[0]}
 * @param architecture the llama.cpp architecture it converts as
 * @param layers {@code num_hidden_layers} ({@code n_layer} for GPT-2)
 * @param heads {@code num_attention_heads} ({@code n_head})
 * @param kvHeads {@code num_key_value_heads}, or {@code heads} when absent
 * @param tiedEmbeddings whether llama.cpp's model uses the token embedding as its output head
 *                       ({@code tie_word_embeddings}, the architecture's default when absent; Gemma always)
 */
public record BaseModelConfig(Path source, String transformersClass, LlamaCppArchitecture architecture, int layers,
                              int heads, int kvHeads, boolean tiedEmbeddings) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Reads {@code base}: a model directory holding {@code config.json}, or that file itself.
     *
     * @throws LlamaCppException if there is no readable config or its architecture is not one peft4j converts
     */
    public static BaseModelConfig read(Path base) {
        Path file = Files.isDirectory(base) ? base.resolve("config.json") : base;
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new LlamaCppException(file + ": no such file (the base model's config.json is needed to map module names)");
        } catch (IOException e) {
            throw new LlamaCppException(file + ": cannot read as JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject()) {
            throw new LlamaCppException(file + ": not a JSON object");
        }
        JsonNode classes = root.path("architectures");
        String transformersClass = classes.isArray() && !classes.isEmpty() ? classes.get(0).asText() : "";
        LlamaCppArchitecture architecture = LlamaCppArchitecture.ofTransformersClass(transformersClass).orElseThrow(() ->
                new LlamaCppException(file + ": architecture '" + transformersClass + "' is not one peft4j converts for llama.cpp (supported: "
                        + String.join(", ", LlamaCppArchitecture.supportedClasses()) + ")"));
        int layers = integer(root, file, "num_hidden_layers", "n_layer");
        int heads = integer(root, file, "num_attention_heads", "n_head");
        int kvHeads = root.hasNonNull("num_key_value_heads") ? integer(root, file, "num_key_value_heads", "num_key_value_heads") : heads;
        JsonNode tied = root.get("tie_word_embeddings");
        boolean tiedEmbeddings = architecture.tiedHead(tied == null || tied.isNull() ? null : tied.asBoolean());
        return new BaseModelConfig(file, transformersClass, architecture, layers, heads, kvHeads, tiedEmbeddings);
    }

    /**
     * The base config for an adapter: {@code base} if given, else the adapter's
     * {@code base_model_name_or_path} when that is a local directory.
     */
    public static BaseModelConfig resolve(Path base, Optional<String> baseModelNameOrPath) {
        if (base != null) {
            return read(base);
        }
        Optional<Path> local = baseModelNameOrPath.map(Path::of).filter(p -> Files.isRegularFile(p.resolve("config.json")));
        return read(local.orElseThrow(() -> new LlamaCppException("the base model's config.json is needed to map module names to llama.cpp's; "
                + "the adapter's base_model_name_or_path (" + baseModelNameOrPath.orElse("not set") + ") is not a local model directory: "
                + "pass the base model's directory or its config.json (--base)")));
    }

    private static int integer(JsonNode root, Path file, String key, String alternative) {
        JsonNode node = root.hasNonNull(key) ? root.get(key) : root.get(alternative);
        if (node == null || !node.canConvertToInt() || node.asInt() <= 0) {
            throw new LlamaCppException(file + ": '" + key + "' must be a positive integer, got " + node);
        }
        return node.asInt();
    }
}
