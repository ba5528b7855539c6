package io.peft4j.extract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.safetensors.Safetensors;
import io.peft4j.safetensors.Tensor;
import io.peft4j.safetensors.TensorInfo;
import io.peft4j.safetensors.TensorSource;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * A base and a fine-tuned checkpoint opened side by side (memory-mapped, sharded or not, any float
 * dtype), checked from their headers to be the same architecture (same tensor names and shapes,
 * same {@code model_type}) before any math. It names the linear modules: every 2-D
 * {@code <module>.weight} that is not an embedding; the output head counts for explicit targets but
 * not for {@code all-linear}, as in PEFT. GPT-2's Conv1D weights ({@code [in, out]}) are marked as such.
 */
final class ModelPair implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> EMBEDDINGS = Set.of("wte", "wpe", "shared");
    private static final Set<String> OUTPUT_HEADS = Set.of("lm_head", "embed_out", "output_layer");

    /** A linear module of the model: its weight is {@code rows x cols} as stored. */
    record LinearModule(String name, int rows, int cols, boolean conv1d, boolean outputHead) {
        String weightName() {
            return name + ".weight";
        }
    }

    private final Path baseDir;
    private final Path tunedDir;
    private final TensorSource base;
    private final TensorSource tuned;
    private final JsonNode config;

    private ModelPair(Path baseDir, Path tunedDir, TensorSource base, TensorSource tuned, JsonNode config) {
        this.baseDir = baseDir;
        this.tunedDir = tunedDir;
        this.base = base;
        this.tuned = tuned;
        this.config = config;
    }

    /** Opens both checkpoints and checks that they match. */
    static ModelPair open(Path baseDir, Path tunedDir) {
        TensorSource base = Safetensors.open(baseDir);
        TensorSource tuned = null;
        try {
            tuned = Safetensors.open(tunedDir);
            JsonNode baseConfig = config(baseDir);
            JsonNode tunedConfig = config(tunedDir);
            ModelPair pair = new ModelPair(baseDir, tunedDir, base, tuned, baseConfig);
            pair.checkSameArchitecture(baseConfig, tunedConfig);
            return pair;
        } catch (RuntimeException e) {
            base.close();
            if (tuned != null) {
                tuned.close();
            }
            throw e;
        }
    }

    private static JsonNode config(Path dir) {
        Path file = Files.isDirectory(dir) ? dir.resolve("config.json") : dir.resolveSibling("config.json");
        if (!Files.isRegularFile(file)) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ExtractException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    private void checkSameArchitecture(JsonNode baseConfig, JsonNode tunedConfig) {
        String baseType = baseConfig.path("model_type").asText("");
        String tunedType = tunedConfig.path("model_type").asText("");
        if (!baseType.isEmpty() && !tunedType.isEmpty() && !baseType.equals(tunedType)) {
            throw new ExtractException(tunedDir + " is a " + tunedType + " model but " + baseDir + " a " + baseType
                    + ": extraction needs the same architecture");
        }
        for (TensorInfo t : tuned.tensors()) {
            TensorInfo b = base.find(t.name()).orElseThrow(() -> new ExtractException(tunedDir + " has tensor " + t.name()
                    + " that " + baseDir + " lacks: not the same architecture"));
            if (!Arrays.equals(b.shape(), t.shape())) {
                throw new ExtractException(t.name() + " is " + Arrays.toString(t.shape()) + " in " + tunedDir + " but "
                        + Arrays.toString(b.shape()) + " in " + baseDir + ": not the same architecture"
                        + " (a resized vocabulary? save that module whole with --modules-to-save and exclude it)");
            }
            if (!t.dtype().isFloatingPoint() && t.dtype() != b.dtype()) {
                throw new ExtractException(t.name() + " is " + t.dtype().safetensorsName() + " in " + tunedDir + " but "
                        + b.dtype().safetensorsName() + " in " + baseDir);
            }
        }
        for (TensorInfo b : base.tensors()) {
            if (tuned.find(b.name()).isEmpty()) {
                throw new ExtractException(baseDir + " has tensor " + b.name() + " that " + tunedDir
                        + " lacks: not the same architecture");
            }
        }
    }

    /** Every linear module, in file order. */
    List<LinearModule> linearModules() {
        boolean conv1d = config.path("model_type").asText("").equals("gpt2");
        long vocab = config.path("vocab_size").asLong(-1);
        List<LinearModule> modules = new ArrayList<>();
        for (TensorInfo t : tuned.tensors()) {
            if (t.rank() != 2 || !t.name().endsWith(".weight") || !t.dtype().isFloatingPoint()) {
                continue;
            }
            String module = t.name().substring(0, t.name().length() - ".weight".length());
            String last = module.substring(module.lastIndexOf('.') + 1);
            boolean head = OUTPUT_HEADS.contains(last);
            if (!head && (last.contains("embed") || EMBEDDINGS.contains(last) || t.dim(0) == vocab)) {
                continue;
            }
            modules.add(new LinearModule(module, Math.toIntExact(t.dim(0)), Math.toIntExact(t.dim(1)),
                    conv1d && !head, head || t.dim(0) == vocab));
        }
        return modules;
    }

    /** The task vector of a module. */
    TaskVector taskVector(LinearModule module) {
        return new TaskVector(tuned.tensor(module.weightName()), base.tensor(module.weightName()));
    }

    /** Whether the two models hold exactly the same bytes for a tensor (same dtype and content). */
    boolean identical(String tensor) {
        Tensor t = tuned.tensor(tensor);
        Tensor b = base.tensor(tensor);
        return t.dtype() == b.dtype() && MemorySegment.mismatch(t.data(), 0, t.data().byteSize(),
                b.data(), 0, b.data().byteSize()) == -1;
    }

    /** Every tensor name, in the tuned model's file order. */
    List<String> tensorNames() {
        return tuned.tensors().stream().map(TensorInfo::name).toList();
    }

    /** A tensor of the tuned model. */
    Tensor tunedTensor(String name) {
        return tuned.tensor(name);
    }

    @Override
    public void close() {
        base.close();
        tuned.close();
    }
}
