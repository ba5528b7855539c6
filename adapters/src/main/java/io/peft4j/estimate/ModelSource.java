package io.peft4j.estimate;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.core.Peft4jException;
import io.peft4j.hub.HubClient;
import io.peft4j.hub.ModelNotFoundException;
import io.peft4j.hub.ModelRef;
import io.peft4j.hub.RepoFile;
import io.peft4j.safetensors.SafetensorsFile;
import io.peft4j.safetensors.SafetensorsHeader;
import io.peft4j.safetensors.TensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds a model's {@code config.json}, downloading at most that one small file: a local directory
 * (or the config file itself), then the Hugging Face cache (the revision of the repository, through
 * {@link io.peft4j.hub.HubCache}), then the configs bundled with peft4j for well-known models (copies
 * of their published config.json), then {@code config.json} alone from the Hub through
 * {@link HubClient} (honouring {@code HF_ENDPOINT}, {@code HF_TOKEN}, {@code HF_HUB_OFFLINE}).
 * Where safetensors weights are present locally, their headers are counted too, as a cross-check:
 * floating-point tensors only, without GPT-2's saved attention-mask buffers (which are buffers, not
 * parameters); the tensor data is never read.
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

    /**
     * Resolves {@code base}: a directory or config file, else a Hub id ({@code owner/name[@revision]},
     * told apart by {@link ModelRef}) found in the cache, bundled, or fetched (config.json alone).
     */
    public static ModelSource resolve(String base, Map<String, String> env) {
        ModelRef ref;
        try {
            ref = ModelRef.parse(base);
        } catch (ModelNotFoundException e) {
            throw new EstimateException(e.getMessage(), e);
        }
        if (ref instanceof ModelRef.Local local) {
            Path path = local.path();
            if (Files.isDirectory(path)) {
                if (!Files.isRegularFile(path.resolve("config.json"))) {
                    throw new EstimateException(path + ": no config.json in this directory");
                }
                return fromDirectory(base, "local directory", path);
            }
            return new ModelSource(base, "local config file", ModelShapes.fromConfigFile(path), null);
        }
        ModelRef.OnHub onHub = (ModelRef.OnHub) ref;
        String repo = onHub.repo().value();
        try (HubClient hub = HubClient.builder().environment(env).build()) {
            Optional<Path> cached = hub.cache().cachedFile(onHub.repo(), onHub.revision(), "config.json");
            if (cached.isPresent()) {
                return fromDirectory(base, "Hugging Face cache " + cached.get().getParent(), cached.get().getParent());
            }
            Optional<ModelSource> bundled = onHub.revision().equals("main") ? bundled(repo) : Optional.empty();
            if (bundled.isPresent()) {
                return bundled.get();
            }
            ModelSource fetched;
            try {
                Path dir = onHub.resolve(hub, List.of("config.json"));
                fetched = fromDirectory(base, "config.json from the Hub (" + hub.endpoint() + ")", dir);
            } catch (ModelNotFoundException e) {
                throw new EstimateException(base + ": " + e.reason() + "; nor is it one of the bundled configs ("
                        + String.join(", ", BUNDLED_MODELS) + ")", e);
            } catch (EstimateException e) {
                throw e;
            } catch (Peft4jException e) {
                throw new EstimateException(base + ": its config.json could not be fetched from the Hub: "
                        + e.getMessage().lines().findFirst().orElse(""), e);
            }
            return new ModelSource(base, fetched.origin() + ", weights counted from remote safetensors headers",
                    fetched.shapes(), remoteParameterCount(hub, repo, onHub.revision()));
        }
    }

    private static ModelSource fromDirectory(String name, String origin, Path dir) {
        ModelShapes shapes = ModelShapes.fromConfigFile(dir.resolve("config.json"));
        List<Path> weights;
        try (Stream<Path> files = Files.list(dir)) {
            weights = files.filter(f -> f.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        } catch (IOException e) {
            throw new EstimateException(dir + ": cannot list (" + e.getMessage() + ")", e);
        }
        Long counted = weights.isEmpty() ? null : weights.stream().mapToLong(ModelSource::parameterCount).sum();
        return new ModelSource(name, origin, shapes, counted);
    }

    /** Parameters in one safetensors file, from its header only (the mapping never touches the data). */
    private static long parameterCount(Path file) {
        try (SafetensorsFile weights = SafetensorsFile.open(file)) {
            return parameterCount(weights.tensors());
        }
    }

    /** Floating-point elements of {@code tensors}, without GPT-2's attention-mask buffers. */
    private static long parameterCount(List<TensorInfo> tensors) {
        return tensors.stream()
                .filter(t -> t.dtype().isFloatingPoint() && !isMaskBuffer(t.name()))
                .mapToLong(TensorInfo::numel)
                .sum();
    }

    /**
     * Parameters in the safetensors files of a Hub repository, from their headers alone: two HTTP
     * range requests per file (the 8-byte header length, then the header), each checked by the same
     * validator as a local file. Null when the repository has no safetensors files.
     */
    static Long remoteParameterCount(HubClient hub, String repo, String revision) {
        List<RepoFile> weights = hub.listFiles(repo, revision).stream()
                .filter(f -> f.path().endsWith(".safetensors")).toList();
        if (weights.isEmpty()) {
            return null;
        }
        long total = 0;
        for (RepoFile file : weights) {
            Path name = Path.of(repo, file.path());
            long headerLength = SafetensorsHeader.length(name, hub.readRange(repo, file.path(), revision, 0, 8), file.size());
            byte[] header = headerLength == 0 ? new byte[0] : hub.readRange(repo, file.path(), revision, 8, (int) headerLength);
            total += parameterCount(SafetensorsHeader.parse(name, header, file.size()).tensors());
        }
        return total;
    }

    private static boolean isMaskBuffer(String name) {
        return name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias");
    }

    private static Optional<ModelSource> bundled(String id) {
        Optional<String> found = BUNDLED_MODELS.stream().filter(m -> m.equalsIgnoreCase(id)).findFirst();
        if (found.isEmpty()) {
            return Optional.empty();
        }
        String match = found.get();
        try (InputStream in = ModelSource.class.getResourceAsStream(BUNDLED + match.replace("/", "--") + ".json")) {
            if (in == null) {
                throw new EstimateException(match + ": bundled config is missing from the peft4j jar");
            }
            return Optional.of(new ModelSource(match, "bundled copy of the published config.json",
                    ModelShapes.fromConfig(JSON.readTree(in), match), null));
        } catch (IOException e) {
            throw new EstimateException(match + ": cannot read the bundled config (" + e.getMessage() + ")", e);
        }
    }

    /** The model type, for display. */
    public String modelType() {
        return shapes.architecture().modelType().toLowerCase(Locale.ROOT);
    }
}
