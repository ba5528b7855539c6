package io.peft4j.estimate;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Finds a model's {@code config.json} without downloading anything: a local directory (or the
 * config file itself), then the Hugging Face cache ({@code HF_HUB_CACHE}, else {@code HF_HOME/hub},
 * else {@code ~/.cache/huggingface/hub}: {@code models--org--name/refs/main} to its snapshot), then
 * the configs bundled with peft4j for well-known models (copied from their published config.json).
 * Where the weights are present locally, their safetensors headers are counted too, as a cross-check.
 *
 * @param name                  what the user asked for
 * @param origin                where the config came from
 * @param shapes                the model's shapes
 * @param checkpointParameters  parameters counted from local safetensors headers, or null if none
 */
public record ModelSource(String name, String origin, ModelShapes shapes, Long checkpointParameters) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BUNDLED = "/io/peft4j/estimate/models/";

    /** The Hub ids of the bundled configs. */
    public static final List<String> BUNDLED_MODELS = List.of(
            "meta-llama/Meta-Llama-3-8B", "mistralai/Mistral-7B-v0.1", "Qwen/Qwen2.5-0.5B", "Qwen/Qwen2.5-7B",
            "google/gemma-2-9b", "microsoft/Phi-3-mini-4k-instruct", "openai-community/gpt2", "facebook/opt-125m",
            "facebook/opt-66b", "google-bert/bert-base-uncased", "huggyllama/llama-65b");

    /** Resolves {@code base} with the process environment. */
    public static ModelSource resolve(String base) {
        return resolve(base, System.getenv());
    }

    /** Resolves {@code base}: a directory or config file, a cached Hub id, or a bundled Hub id. */
    public static ModelSource resolve(String base, Map<String, String> env) {
        Path path = Path.of(base);
        if (Files.isDirectory(path)) {
            Path config = path.resolve("config.json");
            if (!Files.isRegularFile(config)) {
                throw new EstimateException(path + ": no config.json in this directory");
            }
            return fromDirectory(base, "local directory " + path, path);
        }
        if (Files.isRegularFile(path)) {
            return new ModelSource(base, "local file " + path, ModelShapes.fromConfigFile(path), null);
        }
        if (base.chars().filter(c -> c == '/').count() != 1 || base.contains("..")) {
            throw new EstimateException(base + ": no such directory, and not a Hub id of the form org/name");
        }
        Path snapshot = cachedSnapshot(base, env);
        if (snapshot != null) {
            return fromDirectory(base, "Hugging Face cache " + snapshot, snapshot);
        }
        return bundled(base);
    }

    private static ModelSource fromDirectory(String name, String origin, Path dir) {
        ModelShapes shapes = ModelShapes.fromConfigFile(dir.resolve("config.json"));
        List<Path> weights;
        try (Stream<Path> files = Files.list(dir)) {
            weights = files.filter(f -> f.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        } catch (IOException e) {
            throw new EstimateException(dir + ": cannot list (" + e.getMessage() + ")", e);
        }
        Long counted = weights.isEmpty() ? null
                : weights.stream().mapToLong(SafetensorsHeaders::parameterCount).sum();
        return new ModelSource(name, origin, shapes, counted);
    }

    private static Path cachedSnapshot(String id, Map<String, String> env) {
        Path cache = env.get("HF_HUB_CACHE") != null ? Path.of(env.get("HF_HUB_CACHE"))
                : env.get("HF_HOME") != null ? Path.of(env.get("HF_HOME"), "hub")
                : Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub");
        Path repo = cache.resolve("models--" + id.replace("/", "--"));
        try {
            Path ref = repo.resolve("refs").resolve("main");
            if (!Files.isRegularFile(ref)) {
                return null;
            }
            Path snapshot = repo.resolve("snapshots").resolve(Files.readString(ref).strip());
            return Files.isRegularFile(snapshot.resolve("config.json")) ? snapshot : null;
        } catch (IOException e) {
            throw new EstimateException(repo + ": cannot read the cache entry (" + e.getMessage() + ")", e);
        }
    }

    private static ModelSource bundled(String id) {
        String match = BUNDLED_MODELS.stream().filter(m -> m.equalsIgnoreCase(id)).findFirst()
                .orElseThrow(() -> new EstimateException(id + ": not a local directory, not in the Hugging Face "
                        + "cache, and not a bundled config (" + String.join(", ", BUNDLED_MODELS)
                        + "); download its config.json and pass its directory"));
        try (InputStream in = ModelSource.class.getResourceAsStream(BUNDLED + match.replace("/", "--") + ".json")) {
            if (in == null) {
                throw new EstimateException(match + ": bundled config is missing from the peft4j jar");
            }
            return new ModelSource(match, "bundled copy of the published config.json",
                    ModelShapes.fromConfig(JSON.readTree(in), match), null);
        } catch (IOException e) {
            throw new EstimateException(match + ": cannot read the bundled config (" + e.getMessage() + ")", e);
        }
    }

    /** The model type, for display. */
    public String modelType() {
        return shapes.architecture().modelType().toLowerCase(Locale.ROOT);
    }
}
