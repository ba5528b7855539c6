package io.peft4j.merge;

import io.peft4j.output.OutputDirectory;
import io.peft4j.peft.LayerKind;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraModule;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.Safetensors;
import io.peft4j.safetensors.ShardedSafetensorsWriter;
import io.peft4j.safetensors.Tensor;
import io.peft4j.safetensors.TensorInfo;
import io.peft4j.safetensors.TensorSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Merges LoRA adapters into a base model's weights, streaming: the plan (which base tensor each
 * adapter tensor changes) is built and checked first, then the output is written in blocks of a
 * few MB by one worker per core ({@link OutputTensor}): changed tensors are computed row by row
 * from the memory-mapped base, so memory stays bounded by a few blocks and the largest adapter's
 * factors, never the model or its largest tensor. Tensors no adapter touches are copied byte for
 * byte.
 *
 * <p>The numbers are PEFT's ({@link TensorUpdate}); several adapters are applied one after another
 * in the order given, like {@code merge_and_unload(adapter_names=[...])} with each adapter's
 * scaling multiplied by its weight. Output: the base's tensor names, order and dtypes (unless a
 * dtype is asked), sharded like transformers with {@code model.safetensors.index.json}, plus every
 * other file of the base directory (config, tokenizer, generation config). Everything is written
 * in a temporary directory next to the output and renamed into place; on failure it is removed.
 *
 * <p>Refused: a target or shape the base does not have (an adapter for another model), a quantized
 * base, {@code layer_replication}. Tied embeddings give a warning.
 */
public final class BaseMerger {

    private BaseMerger() {}

    /** Runs the merge described by {@code options}. */
    public static MergeReport merge(MergeOptions options) {
        OutputDirectory.checkFree(options.out(), options.overwrite(), inputs(options));
        List<LoraAdapter> adapters = new ArrayList<>();
        try (BaseCheckpoint base = BaseCheckpoint.open(options.base())) {
            List<WeightedModules> inputs = new ArrayList<>();
            for (WeightedAdapter wa : options.adapters()) {
                LoraAdapter adapter = LoraAdapter.load(wa.directory());
                adapters.add(adapter);
                if (adapter.config().layerReplication().isPresent()) {
                    throw new MergeException(adapter.directory() + ": layer_replication adapters cannot be merged into the base"
                            + " weights (the layers they duplicate share base weights)");
                }
                inputs.add(WeightedModules.of(adapter, wa.weight()));
            }
            checkUnquantized(base);
            Plan plan = plan(base, inputs);
            try (OutputDirectory out = OutputDirectory.create(options.out(), options.overwrite(), inputs(options))) {
                MergeReport written = write(base, plan, out.path(), Safetensors.MODEL_FILE, options.dtype(),
                        options.maxShardSize(), options.listener(), options.allowNonFinite());
                for (Path file : base.otherFiles()) {
                    out.copy(file);
                }
                out.commit();
                return written.at(options.out());
            }
        } finally {
            adapters.forEach(LoraAdapter::close);
        }
    }

    /**
     * Merges LoRA modules from any source (a diffusion LoRA's component, for instance) into one
     * checkpoint of a model folder, with the same plan, numbers and streaming as {@link #merge}.
     * The merged tensors are written into the existing directory {@code target} under the name of
     * {@code weights} (split into shards with an index when they would exceed {@code maxShardSize});
     * the caller copies the other files and moves {@code target} into place.
     *
     * @param directory      the checkpoint's directory (its {@code config.json} is checked for quantization)
     * @param weights        the base weights: a {@code .safetensors} file or a {@code *.safetensors.index.json}
     * @param inputs         the modules, named as the base's modules, applied in order
     * @param allowNonFinite write NaN or infinite merged values instead of refusing them
     */
    public static MergeReport mergeInto(Path directory, Path weights, List<WeightedModules> inputs, Path target,
                                        Optional<DType> dtype, long maxShardSize, MergeListener listener,
                                        boolean allowNonFinite) {
        String name = weights.getFileName().toString();
        String weightsName = name.endsWith(".index.json") ? name.substring(0, name.length() - ".index.json".length()) : name;
        try (BaseCheckpoint base = BaseCheckpoint.open(directory, weights)) {
            checkUnquantized(base);
            return write(base, plan(base, inputs), target, weightsName, dtype, maxShardSize, listener, allowNonFinite);
        }
    }

    private static void checkUnquantized(BaseCheckpoint base) {
        if (base.quantized()) {
            throw new MergeException(base.directory().resolve("config.json")
                    + ": the base is quantized (quantization_config); merge into the unquantized model");
        }
    }

    /** The folders a merge reads, which its output may never replace. */
    private static Path[] inputs(MergeOptions options) {
        return Stream.concat(Stream.of(options.base()), options.adapters().stream().map(WeightedAdapter::directory))
                .toArray(Path[]::new);
    }

    /** The changes to each base tensor, checked against the checkpoint. */
    private record Plan(Map<String, List<TensorUpdate>> updates, Map<String, Tensor> replacements, List<String> warnings) {

        boolean changes(String name) {
            return updates.containsKey(name) || replacements.containsKey(name);
        }
    }

    private static Plan plan(BaseCheckpoint base, List<WeightedModules> inputs) {
        Map<String, List<TensorUpdate>> updates = new LinkedHashMap<>();
        Map<String, Tensor> replacements = new LinkedHashMap<>();
        Set<String> warnings = new LinkedHashSet<>();
        for (WeightedModules adapter : inputs) {
            String what = adapter.source();
            for (LoraModule module : adapter.modules()) {
                addUpdate(base, updates, new TensorUpdate(module, adapter.weight(), false, what), what);
                if (module.loraBBias().isPresent()) {
                    addUpdate(base, updates, new TensorUpdate(module, adapter.weight(), true, what), what);
                }
                if (base.tiedEmbeddings() && (module.kind() == LayerKind.EMBEDDING || module.moduleName().endsWith("lm_head"))) {
                    warnings.add("the base ties its input embedding to its output head; " + module.moduleName()
                            + " changes both in the model, but a checkpoint stores only the one tensor");
                }
            }
            Map<String, Tensor> replacing = new LinkedHashMap<>(adapter.baseCopies());
            replacing.putAll(adapter.replacements());
            for (Map.Entry<String, Tensor> e : replacing.entrySet()) {
                if (!base.names().contains(e.getKey()) && base.tiedEmbeddings() && e.getKey().startsWith("lm_head")) {
                    warnings.add(what + ": " + e.getKey() + " is tied to the input embedding in the base and not saved"
                            + " separately; the adapter's copy is not written");
                    continue;
                }
                String name = BaseNames.resolve(e.getKey(), base.names(), what);
                TensorInfo info = base.find(name).orElseThrow();
                if (!Arrays.equals(info.shape(), e.getValue().shape())) {
                    throw new MergeException(what + ": " + e.getKey() + " has shape " + Arrays.toString(e.getValue().shape())
                            + " but the base's " + name + " is " + Arrays.toString(info.shape()));
                }
                if (updates.containsKey(name) && !adapter.baseCopies().containsKey(e.getKey())) {
                    throw new MergeException(what + ": replaces " + name + ", which an earlier adapter changes");
                }
                replacements.put(name, e.getValue());
            }
        }
        return new Plan(updates, replacements, List.copyOf(warnings));
    }

    private static void addUpdate(BaseCheckpoint base, Map<String, List<TensorUpdate>> updates, TensorUpdate update,
                                  String what) {
        LoraModule module = update.module();
        String wanted = update.bias() ? module.baseBiasName() : module.baseWeightName();
        String name = BaseNames.resolve(wanted, base.names(), what);
        TensorInfo info = base.find(name).orElseThrow();
        DType dtype = info.dtype();
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16) {
            throw new MergeException(what + ": base tensor " + name + " is " + dtype.safetensorsName()
                    + " (quantized or unsupported); only f32, bf16 and f16 bases can be merged into");
        }
        if (!update.fits(info.shape())) {
            throw new MergeException(what + ": " + module.moduleName() + " expects a base " + (update.bias() ? "bias" : "weight")
                    + " of shape " + Arrays.toString(update.expectedShape()) + " but " + name + " is "
                    + Arrays.toString(info.shape()) + " (an adapter for another model?)");
        }
        updates.computeIfAbsent(name, k -> new ArrayList<>()).add(update);
    }

    /** Writes every tensor of the base, merged where the plan changes it, into {@code dir}. */
    private static MergeReport write(BaseCheckpoint base, Plan plan, Path dir, String weightsName, Optional<DType> dtype,
                                     long maxShardSize, MergeListener listener, boolean allowNonFinite) {
        List<TensorInfo> infos = base.tensors();
        List<TensorSpec> specs = infos.stream()
                .map(i -> new TensorSpec(i.name(), outputDtype(i.dtype(), dtype), i.shape()))
                .toList();
        List<OutputTensor> tensors = infos.stream().map(i -> output(base, plan, i, dtype, allowNonFinite)).toList();
        long bytes = specs.stream().mapToLong(TensorSpec::byteSize).sum();
        try (ShardedSafetensorsWriter writer = ShardedSafetensorsWriter.create(dir, weightsName, specs, maxShardSize,
                Map.of("format", "pt"), OptionalLong.empty())) {
            MergeWorkers.run(tensors, writer, listener, bytes, Runtime.getRuntime().availableProcessors());
            writer.commit();
            int changed = (int) infos.stream().filter(i -> plan.changes(i.name())).count();
            return new MergeReport(dir, infos.size(), changed, writer.shards().size(), bytes, plan.warnings());
        }
    }

    /** How one output tensor is made: the base (or its replacement), then every update in order. */
    private static OutputTensor output(BaseCheckpoint base, Plan plan, TensorInfo info, Optional<DType> dtype,
                                       boolean allowNonFinite) {
        String name = info.name();
        Tensor replacement = plan.replacements().get(name);
        Tensor source = replacement != null ? replacement : base.tensor(name);
        return new OutputTensor(info, source, replacement != null, plan.updates().getOrDefault(name, List.of()),
                outputDtype(info.dtype(), dtype), allowNonFinite);
    }

    private static DType outputDtype(DType base, Optional<DType> dtype) {
        return base.isFloatingPoint() ? dtype.orElse(base) : base;
    }
}
