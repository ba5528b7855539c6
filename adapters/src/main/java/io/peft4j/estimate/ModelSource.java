package io.peft4j.estimate;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.core.Peft4jException;
import io.peft4j.hub.HubClient;
import io.peft4j.hub.RepoFile;
import io.peft4j.hub.RepoId;
import io.peft4j.safetensors.SafetensorsFile;
import io.peft4j.safetensors.TensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds a model's {@code config.json}, downloading at most that one small file: a local directory
 * (or the config file itself), then the Hugging Face cache ({@code main} of the repository, through
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
    /** The safetensors reference's limit on header size. */
    private static final long MAX_HEADER = 100_000_000L;

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
            return fromDirectory(base, "local directory", path);
        }
        if (Files.isRegularFile(path)) {
            return new ModelSource(base, "local config file", ModelShapes.fromConfigFile(path), null);
        }
        if (base.chars().filter(c -> c == '/').count() != 1 || base.contains("..")) {
            throw new EstimateException(base + ": no such directory, and not a Hub id of the form org/name");
        }
        HubClient hub = HubClient.builder().environment(env).build();
        Optional<Path> cached = hub.cache().cachedFile(RepoId.of(base), "main", "config.json");
        if (cached.isPresent()) {
            return fromDirectory(base, "Hugging Face cache " + cached.get().getParent(), cached.get().getParent());
        }
        Optional<ModelSource> bundled = bundled(base);
        if (bundled.isPresent()) {
            return bundled.get();
        }
        try {
            Path config = hub.download(base, "config.json", "main");
            ModelSource fetched = fromDirectory(base, "config.json from the Hub (" + hub.endpoint() + ")", config.getParent());
            return new ModelSource(base, fetched.origin() + ", weights counted from remote safetensors headers",
                    fetched.shapes(), remoteParameterCount(hub, base));
        } catch (EstimateException e) {
            throw e;
        } catch (Peft4jException e) {
            throw new EstimateException(base + ": not a local directory, not cached, not bundled ("
                    + String.join(", ", BUNDLED_MODELS) + "), and its config.json could not be fetched: "
                    + e.getMessage().lines().findFirst().orElse(""), e);
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
            return weights.tensors().stream()
                    .filter(t -> t.dtype().isFloatingPoint() && !isMaskBuffer(t.name()))
                    .mapToLong(TensorInfo::numel)
                    .sum();
        }
    }

    /**
     * Parameters in the safetensors files of a Hub repository, from their headers alone: two HTTP
     * range requests per file (the 8-byte header length, then the header), each header written to
     * a sparse temporary file of the remote file's size and read like a local one. Null when the
     * repository has no safetensors files.
     */
    static Long remoteParameterCount(HubClient hub, String repo) {
        List<RepoFile> weights = hub.listFiles(repo, "main").stream()
                .filter(f -> f.path().endsWith(".safetensors")).toList();
        if (weights.isEmpty()) {
            return null;
        }
        long total = 0;
        for (RepoFile file : weights) {
            long headerLength = ByteBuffer.wrap(hub.readRange(repo, file.path(), "main", 0, 8))
                    .order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (headerLength <= 0 || headerLength > MAX_HEADER || 8 + headerLength > file.size()) {
                throw new EstimateException(repo + "/" + file.path() + ": header length " + headerLength
                        + " is not that of a safetensors file of " + file.size() + " bytes");
            }
            byte[] header = hub.readRange(repo, file.path(), "main", 8, (int) headerLength);
            total += parameterCountOfHeader(repo + "/" + file.path(), headerLength, header, file.size());
        }
        return total;
    }

    private static long parameterCountOfHeader(String name, long headerLength, byte[] header, long fileSize) {
        Path sparse = null;
        try {
            sparse = Files.createTempFile("peft4j-header", ".safetensors");
            try (RandomAccessFile out = new RandomAccessFile(sparse.toFile(), "rw")) {
                out.setLength(fileSize);
                out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerLength).array());
                out.write(header);
            }
            return parameterCount(sparse);
        } catch (IOException e) {
            throw new EstimateException(name + ": cannot stage its header (" + e.getMessage() + ")", e);
        } finally {
            if (sparse != null) {
                sparse.toFile().delete();
            }
        }
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
