package io.peft4j.diffusion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.merge.BaseMerger;
import io.peft4j.merge.MergeReport;
import io.peft4j.output.OutputDirectory;
import io.peft4j.merge.WeightedAdapter;
import io.peft4j.merge.WeightedModules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Merges diffusion LoRAs (any layout) into a diffusers model folder, each changed component
 * ({@code unet/}, {@code text_encoder/}, {@code text_encoder_2/}) with {@link BaseMerger#mergeInto}:
 * PEFT's numbers (what diffusers' {@code fuse_lora} computes), streaming tensor by tensor so memory
 * stays bounded by the largest tensor. The output is a complete model folder (every other file and
 * folder copied: {@code model_index.json}, VAE, scheduler, tokenizers), built in a temporary folder
 * beside it and renamed into place; on failure nothing is left.
 *
 * <p>Each merged component keeps its weights file's name ({@code diffusion_pytorch_model.safetensors}
 * or {@code model.safetensors}), split into shards named as diffusers names them, with an index,
 * when it would exceed the maximum shard size (10 GB by default, diffusers' own). Other weight files
 * of a merged component (variants such as {@code .fp16.safetensors}, pickles) are not copied: they
 * would hold the unmerged weights.
 */
public final class DiffusionMerger {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> WEIGHT_NAMES = List.of("diffusion_pytorch_model.safetensors.index.json",
            "model.safetensors.index.json", "diffusion_pytorch_model.safetensors", "model.safetensors");

    private DiffusionMerger() {}

    /** Runs the merge described by {@code options}. */
    public static DiffusionMergeReport merge(DiffusionMergeOptions options) {
        OutputDirectory.checkFree(options.out(), options.overwrite(), inputs(options));
        Path model = options.model();
        if (!Files.isRegularFile(model.resolve("model_index.json"))) {
            throw new DiffusionFormatException(model, "not a diffusers model folder (no model_index.json)");
        }
        int layersPerBlock = layersPerBlock(model);
        List<DiffusionLora> loras = new ArrayList<>();
        try {
            Map<Component, List<WeightedModules>> inputs = new EnumMap<>(Component.class);
            for (WeightedAdapter wa : options.loras()) {
                DiffusionLora lora = DiffusionLora.load(wa.directory(), layersPerBlock);
                loras.add(lora);
                lora.byComponent().forEach((c, modules) -> inputs.computeIfAbsent(c, k -> new ArrayList<>()).add(
                        WeightedModules.of(lora.path().toString(), modules.stream().map(m -> m.toLoraModule(m.name())).toList(),
                                wa.weight())));
            }
            for (Component c : inputs.keySet()) {
                if (!Files.isDirectory(model.resolve(c.diffusersName()))) {
                    throw new DiffusionFormatException(model, "a LoRA changes " + c.shortName() + " but the model has no "
                            + c.diffusersName() + "/ folder");
                }
            }
            return write(options, inputs);
        } finally {
            loras.forEach(DiffusionLora::close);
        }
    }

    private static DiffusionMergeReport write(DiffusionMergeOptions options, Map<Component, List<WeightedModules>> inputs) {
        Path model = options.model();
        Map<Component, MergeReport> merged = new EnumMap<>(Component.class);
        List<String> warnings = new ArrayList<>();
        int copied = 0;
        try (OutputDirectory out = OutputDirectory.create(options.out(), options.overwrite(), inputs(options));
             Stream<Path> entries = Files.list(model)) {
            for (Path entry : entries.sorted().toList()) {
                Component c = Files.isDirectory(entry) ? Component.ofDiffusersName(entry.getFileName().toString()) : null;
                Path target = out.path().resolve(entry.getFileName().toString());
                if (c == null || !inputs.containsKey(c)) {
                    copied += copyTree(entry, target);
                    continue;
                }
                Path weights = weightsOf(entry);
                Files.createDirectories(target);
                MergeReport report = BaseMerger.mergeInto(entry, weights, inputs.get(c), target, options.dtype(),
                        options.maxShardSize(), options.listener(), options.allowNonFinite());
                merged.put(c, report);
                report.warnings().forEach(w -> warnings.add(c.shortName() + ": " + w));
                copied += copyComponentFiles(entry, target, weights, warnings);
            }
            out.commit();
        } catch (IOException e) {
            throw new DiffusionFormatException(options.out(), "cannot write: " + e.getMessage());
        }
        Map<Component, MergeReport> placed = new EnumMap<>(Component.class);
        merged.forEach((c, r) -> placed.put(c, new MergeReport(options.out().resolve(c.diffusersName()), r.tensors(),
                r.changed(), r.shards(), r.bytes(), r.warnings())));
        return new DiffusionMergeReport(options.out(), placed, copied, warnings);
    }

    /** The model folder and the LoRAs, which the output may never replace. */
    private static Path[] inputs(DiffusionMergeOptions options) {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(options.model()),
                options.loras().stream().map(WeightedAdapter::directory)).toArray(Path[]::new);
    }

    /** The weights a component folder is loaded from by default: an index, else the plain safetensors file. */
    static Path weightsOf(Path component) {
        for (String name : WEIGHT_NAMES) {
            Path p = component.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        List<String> found;
        try (Stream<Path> list = Files.list(component)) {
            found = list.map(p -> p.getFileName().toString()).filter(DiffusionMerger::isWeights).sorted().toList();
        } catch (IOException e) {
            throw new DiffusionFormatException(component, "cannot list: " + e.getMessage());
        }
        throw new DiffusionFormatException(component, "no diffusion_pytorch_model.safetensors or model.safetensors"
                + (found.isEmpty() ? "" : " (found " + String.join(", ", found)
                + "; variants are not merged and pickles are never loaded)"));
    }

    /** Copies a merged component's other files (config.json, ...), leaving out weight files that were not merged. */
    private static int copyComponentFiles(Path from, Path to, Path weights, List<String> warnings) throws IOException {
        int copied = 0;
        try (Stream<Path> list = Files.list(from)) {
            for (Path p : list.sorted().toList()) {
                String name = p.getFileName().toString();
                if (isWeights(name)) {
                    if (!p.equals(weights) && !isShardOf(name, weights)) {
                        warnings.add(from.getFileName() + "/" + name + " not copied: weights of a merged component"
                                + " that were not merged (another variant or format)");
                    }
                    continue;
                }
                copied += copyTree(p, to.resolve(name));
            }
        }
        return copied;
    }

    /** Whether {@code name} is one of the shards the index {@code weights} lists (those were read, not copied). */
    private static boolean isShardOf(String name, Path weights) throws IOException {
        String index = weights.getFileName().toString();
        if (!index.endsWith(".index.json")) {
            return false;
        }
        JsonNode map = JSON.readTree(weights.toFile()).path("weight_map");
        for (JsonNode file : map) {
            if (file.asText().equals(name)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isWeights(String name) {
        return name.endsWith(".safetensors") || name.endsWith(".safetensors.index.json") || name.endsWith(".bin")
                || name.endsWith(".bin.index.json") || name.endsWith(".pt") || name.endsWith(".pth") || name.endsWith(".ckpt");
    }

    /** Copies a file or a folder (following links, so a Hub cache snapshot copies its blobs); returns files copied. */
    private static int copyTree(Path from, Path to) throws IOException {
        if (!Files.isDirectory(from)) {
            Files.copy(from, to);
            return 1;
        }
        int copied = 0;
        Files.createDirectories(to);
        try (Stream<Path> list = Files.list(from)) {
            for (Path p : list.sorted().toList()) {
                copied += copyTree(p, to.resolve(p.getFileName().toString()));
            }
        }
        return copied;
    }

    /** The UNet's {@code layers_per_block} from {@code unet/config.json}, else SD's 2. */
    private static int layersPerBlock(Path model) {
        Path config = model.resolve("unet").resolve("config.json");
        if (!Files.isRegularFile(config)) {
            return DiffusionLora.DEFAULT_LAYERS_PER_BLOCK;
        }
        try {
            JsonNode lpb = JSON.readTree(config.toFile()).path("layers_per_block");
            return lpb.isInt() ? lpb.asInt() : DiffusionLora.DEFAULT_LAYERS_PER_BLOCK;
        } catch (IOException e) {
            throw new DiffusionFormatException(config, "not valid JSON: " + e.getMessage());
        }
    }
}
