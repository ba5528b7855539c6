package io.peft4j.peft;

import io.peft4j.safetensors.SafetensorsFile;
import io.peft4j.safetensors.Tensor;
import io.peft4j.safetensors.TensorInfo;
import io.peft4j.safetensors.TensorSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A saved PEFT LoRA adapter: a directory holding {@code adapter_config.json} and
 * {@code adapter_model.safetensors}. Loading checks that the tensors agree with the configuration
 * (A/B pairs complete, ranks consistent with {@code r} and {@code rank_pattern}, every module one
 * the configuration targets, DoRA magnitudes present exactly when {@code use_dora}) and maps each
 * tensor to the base weight it belongs to. Tensors stay memory-mapped until closed.
 *
 * <p>A pickled {@code adapter_model.bin} is never deserialized: loading one fails and says how to
 * convert it.
 */
public final class LoraAdapter implements AutoCloseable {

    /** The weights file name PEFT writes. */
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";

    private static final String PICKLE_FILE = "adapter_model.bin";

    private final Path directory;
    private final AdapterConfig config;
    private final TensorSource tensors;
    private final List<LoraModule> modules;
    private final Map<String, Tensor> replacements;
    private final Map<String, Tensor> baseCopies;

    private LoraAdapter(Path directory, AdapterConfig config, TensorSource tensors, List<LoraModule> modules,
            Map<String, Tensor> replacements, Map<String, Tensor> baseCopies) {
        this.directory = directory;
        this.config = config;
        this.tensors = tensors;
        this.modules = modules;
        this.replacements = replacements;
        this.baseCopies = baseCopies;
    }

    /** Loads and checks the adapter in {@code directory}. */
    public static LoraAdapter load(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new AdapterFormatException(directory, "not an adapter directory (it does not exist or is a file)");
        }
        AdapterConfig config = AdapterConfig.read(directory);
        if (!config.peftType().equals("LORA")) {
            throw new AdapterFormatException(directory.resolve(AdapterConfig.FILE_NAME),
                    "peft_type " + config.peftType() + " is not LoRA; only LoRA adapters can be merged or souped");
        }
        Path weights = weightsFile(directory);
        TensorSource tensors = SafetensorsFile.open(weights);
        try {
            return new ModuleAssembler(weights, config, tensors).assemble(directory);
        } catch (RuntimeException e) {
            tensors.close();
            throw e;
        }
    }

    /**
     * The {@code adapter_model.safetensors} of an adapter directory; a directory with only a
     * pickled {@code adapter_model.bin} is refused with the command that converts it.
     */
    public static Path weightsFile(Path directory) {
        Path weights = directory.resolve(WEIGHTS_FILE);
        if (Files.isRegularFile(weights)) {
            return weights;
        }
        if (Files.isRegularFile(directory.resolve(PICKLE_FILE))) {
            throw new AdapterFormatException(directory.resolve(PICKLE_FILE),
                    "pickle files are never loaded (they can run code); convert it once with: python -c \"import torch;"
                            + " from safetensors.torch import save_file; save_file(torch.load('adapter_model.bin',"
                            + " weights_only=True), 'adapter_model.safetensors')\"");
        }
        throw new AdapterFormatException(directory, "no " + WEIGHTS_FILE + " in this directory");
    }

    /** The adapter's directory. */
    public Path directory() {
        return directory;
    }

    /** The adapter's configuration. */
    public AdapterConfig config() {
        return config;
    }

    /** The raw tensors of {@code adapter_model.safetensors}. */
    public TensorSource tensors() {
        return tensors;
    }

    /** Every LoRA module, in the order its {@code lora_A} appears in the file. */
    public List<LoraModule> modules() {
        return modules;
    }

    /** The module with this base module name, if the adapter has one. */
    public Optional<LoraModule> module(String moduleName) {
        return modules.stream().filter(m -> m.moduleName().equals(moduleName)).findFirst();
    }

    /**
     * Whole trained tensors that replace the base model's on load: {@code modules_to_save} (a
     * classifier head, for instance) and embedding layers PEFT saved after resizing; keyed by the
     * base tensor name, e.g. {@code score.weight}.
     */
    public Map<String, Tensor> replacements() {
        return replacements;
    }

    /**
     * Copies of base weights PEFT saved beside the adapter under {@code base_layer} (it does so for
     * tied or resized embeddings); keyed by the base tensor name. They are not trainable.
     */
    public Map<String, Tensor> baseCopies() {
        return baseCopies;
    }

    /** Every trainable parameter the adapter holds: LoRA modules plus replacement tensors. */
    public long parameterCount() {
        long n = modules.stream().mapToLong(LoraModule::parameterCount).sum();
        return n + replacements.values().stream().mapToLong(Tensor::numel).sum();
    }

    /** Unmaps the weights file; tensors obtained from this adapter must not be used afterwards. */
    @Override
    public void close() {
        tensors.close();
    }

    /** Groups the tensors of one file into modules and checks them against the configuration. */
    private static final class ModuleAssembler {
        private final Path file;
        private final AdapterConfig config;
        private final TensorSource tensors;
        private final Map<String, Map<AdapterKey.Role, Tensor>> byModule = new LinkedHashMap<>();
        private final Map<String, Tensor> replacements = new LinkedHashMap<>();
        private final Map<String, Tensor> baseCopies = new LinkedHashMap<>();

        ModuleAssembler(Path file, AdapterConfig config, TensorSource tensors) {
            this.file = file;
            this.config = config;
            this.tensors = tensors;
        }

        LoraAdapter assemble(Path directory) {
            Map<AdapterKey, String> seen = new HashMap<>();
            for (TensorInfo info : tensors.tensors()) {
                AdapterKey key = AdapterKey.parse(info.name());
                String earlier = seen.putIfAbsent(key, info.name());
                if (earlier != null) {
                    throw problem("tensors " + earlier + " and " + info.name() + " are the same " + key.describe()
                            + " (a doubled base_model.model. prefix?); keep one");
                }
                Tensor t = tensors.tensor(info.name());
                if (key.role() == AdapterKey.Role.REPLACEMENT) {
                    replacements.put(key.baseTensorName(), t);
                } else if (key.role() == AdapterKey.Role.BASE_COPY) {
                    baseCopies.put(key.baseTensorName(), t);
                } else {
                    if (!info.dtype().isFloatingPoint()) {
                        throw problem(info.name() + " has dtype " + info.dtype() + "; LoRA weights must be floating point");
                    }
                    byModule.computeIfAbsent(key.module(), k -> new LinkedHashMap<>()).put(key.role(), t);
                }
            }
            List<LoraModule> modules = new ArrayList<>();
            TargetModules targets = config.targetModules();
            for (Map.Entry<String, Map<AdapterKey.Role, Tensor>> e : byModule.entrySet()) {
                LoraModule m = module(e.getKey(), e.getValue());
                if (!targets.matches(m.moduleName())) {
                    throw problem("module " + m.moduleName() + " has LoRA weights but target_modules ("
                            + targets.describe() + ") does not target it");
                }
                modules.add(m);
            }
            return new LoraAdapter(directory, config, tensors, Collections.unmodifiableList(modules),
                    Collections.unmodifiableMap(replacements), Collections.unmodifiableMap(baseCopies));
        }

        private LoraModule module(String name, Map<AdapterKey.Role, Tensor> parts) {
            boolean embedding = parts.containsKey(AdapterKey.Role.EMBEDDING_A) || parts.containsKey(AdapterKey.Role.EMBEDDING_B);
            Tensor a = parts.get(embedding ? AdapterKey.Role.EMBEDDING_A : AdapterKey.Role.LORA_A);
            Tensor b = parts.get(embedding ? AdapterKey.Role.EMBEDDING_B : AdapterKey.Role.LORA_B);
            if (a == null || b == null) {
                throw problem("module " + name + " has " + (a == null ? "lora_B but no lora_A" : "lora_A but no lora_B"));
            }
            long[] as = a.shape();
            long[] bs = b.shape();
            LayerKind kind = kindOf(name, embedding, as, bs);
            int rank = Math.toIntExact(as[0]);
            if (bs[1] != rank) {
                throw problem("module " + name + ": lora_A has rank " + rank + " but lora_B has rank " + bs[1]
                        + " (A " + java.util.Arrays.toString(as) + ", B " + java.util.Arrays.toString(bs) + ")");
            }
            int expected = config.rankFor(name);
            if (rank != expected) {
                throw problem("module " + name + " has rank " + rank + " but the config says r=" + expected
                        + (config.rankPattern().isEmpty() ? "" : " (after rank_pattern)"));
            }
            Tensor magnitude = parts.get(AdapterKey.Role.MAGNITUDE);
            if (config.useDora() && magnitude == null) {
                throw problem("module " + name + " has no lora_magnitude_vector but the config sets use_dora");
            }
            if (!config.useDora() && magnitude != null) {
                throw problem("module " + name + " has a lora_magnitude_vector but the config does not set use_dora");
            }
            if (magnitude != null && magnitude.numel() != bs[0]) {
                throw problem("module " + name + ": lora_magnitude_vector has " + magnitude.numel()
                        + " values but the layer has " + bs[0] + " output features");
            }
            Tensor bias = parts.get(AdapterKey.Role.LORA_B_BIAS);
            if (bias != null && bias.numel() != bs[0]) {
                throw problem("module " + name + ": lora_B.bias has " + bias.numel() + " values, expected " + bs[0]);
            }
            return new LoraModule(name, kind, rank, config.scalingFor(name), a, b, magnitude, bias);
        }

        private LayerKind kindOf(String name, boolean embedding, long[] as, long[] bs) {
            if (embedding) {
                requireRank(name, "lora_embedding_A", as, 2);
                requireRank(name, "lora_embedding_B", bs, 2);
                return LayerKind.EMBEDDING;
            }
            if (as.length == 4) {
                requireRank(name, "lora_B", bs, 4);
                return LayerKind.CONV2D;
            }
            requireRank(name, "lora_A", as, 2);
            requireRank(name, "lora_B", bs, 2);
            return config.fanInFanOut() ? LayerKind.CONV1D : LayerKind.LINEAR;
        }

        private void requireRank(String module, String what, long[] shape, int dims) {
            if (shape.length != dims) {
                throw problem("module " + module + ": " + what + " has shape " + java.util.Arrays.toString(shape)
                        + ", expected " + dims + " dimensions");
            }
        }

        private AdapterFormatException problem(String what) {
            return new AdapterFormatException(file, what);
        }
    }
}
