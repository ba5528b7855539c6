package io.peft4j.extract;

import io.peft4j.output.OutputDirectory;
import io.peft4j.peft.AdapterConfig;
import io.peft4j.peft.LayerKind;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraModule;
import io.peft4j.safetensors.Safetensors;
import io.peft4j.safetensors.Tensor;
import io.peft4j.safetensors.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Extracts a LoRA adapter from a fine-tuned model ({@code W_tuned - W_base} per linear module), or
 * re-factors an existing adapter (DoRA, rsLoRA with patterns, a soup) into a plain LoRA of a chosen
 * rank or energy. Modules are decomposed one at a time per worker thread, read straight from the
 * memory-mapped inputs; the result is written into a temporary directory renamed into place at the end.
 */
public final class AdapterExtractor {

    private AdapterExtractor() {}

    /** Runs the extraction {@code options} describe and writes the adapter. */
    public static ExtractReport extract(ExtractOptions options) {
        OutputDirectory.checkFree(options.out(), options.overwrite(), inputs(options));
        long start = System.nanoTime();
        return options.adapter().isPresent() ? refactor(options, start) : fromModels(options, start);
    }

    private static ExtractReport fromModels(ExtractOptions options, long start) {
        Path baseDir = options.base().orElseThrow();
        Path tunedDir = options.tuned().orElseThrow();
        try (ModelPair pair = ModelPair.open(baseDir, tunedDir)) {
            Map<String, Tensor> whole = modulesToSave(pair, options.modulesToSave());
            List<ModelPair.LinearModule> candidates = pair.linearModules();
            List<ModelPair.LinearModule> selected = candidates.stream()
                    .filter(m -> options.targets().matches(m.name()))
                    .filter(m -> !(options.targets() instanceof ModuleSelection.AllLinear) || !m.outputHead())
                    .filter(m -> options.exclude().map(p -> !p.matcher(m.name()).matches()).orElse(true))
                    .filter(m -> !whole.containsKey(ModuleWork.PREFIX + m.weightName()))
                    .toList();
            if (selected.isEmpty()) {
                throw new ExtractException("--targets " + options.targets().describe() + " selects no linear module of "
                        + tunedDir + (candidates.isEmpty() ? " (it has none)" : " (e.g. " + candidates.getFirst().name() + ")"));
            }
            List<String> unchanged = new ArrayList<>();
            List<ModuleWork> works = new ArrayList<>();
            for (ModelPair.LinearModule m : selected) {
                if (pair.identical(m.weightName())) {
                    unchanged.add(m.name());
                } else {
                    int out = m.conv1d() ? m.cols() : m.rows();
                    int in = m.conv1d() ? m.rows() : m.cols();
                    works.add(new ModuleWork.Streamed(m.name(), out, in, m.conv1d(), () -> pair.taskVector(m)));
                }
            }
            List<String> warnings = new ArrayList<>(uncovered(pair, selected, whole));
            AdapterConfig config = AdapterConfig.lora(options.maxRank(), options.maxRank(),
                            targetModules(works.stream().map(ModuleWork::module).toList(), candidates))
                    .with("base_model_name_or_path", options.baseModelName().orElse(baseDir.toString()))
                    .with("task_type", taskType(tunedDir))
                    .with("fan_in_fan_out", selected.stream().anyMatch(ModelPair.LinearModule::conv1d))
                    .with("bias", "none")
                    .with("lora_dropout", 0.0)
                    .with("modules_to_save", options.modulesToSave().isEmpty() ? null : options.modulesToSave());
            return run(options, works, config, whole, unchanged, warnings, start);
        }
    }

    private static ExtractReport refactor(ExtractOptions options, long start) {
        Path dir = options.adapter().orElseThrow();
        try (LoraAdapter adapter = LoraAdapter.load(dir);
             TensorSource base = adapter.config().useDora() ? openBase(options, dir) : null) {
            List<ModuleWork> works = new ArrayList<>();
            List<String> warnings = new ArrayList<>();
            Map<String, Tensor> whole = new LinkedHashMap<>();
            for (LoraModule m : adapter.modules()) {
                String name = m.moduleName();
                boolean selected = options.targets().matches(name)
                        && options.exclude().map(p -> !p.matcher(name).matches()).orElse(true);
                if (!selected) {
                    warnings.add("module " + name + " is not selected by --targets/--exclude and was left out");
                    continue;
                }
                works.add(work(m, base, dir));
                m.loraBBias().ifPresent(bias -> whole.put(ModuleWork.PREFIX + name + ".lora_B.bias", bias));
            }
            if (works.isEmpty()) {
                throw new ExtractException(dir + ": no module of the adapter is selected by --targets/--exclude");
            }
            adapter.replacements().forEach((name, t) -> whole.put(ModuleWork.PREFIX + name, t));
            AdapterConfig config = adapter.config();
            if (options.baseModelName().isPresent()) {
                config = config.with("base_model_name_or_path", options.baseModelName().get());
            }
            return run(options, works, config, whole, List.of(), warnings, start);
        }
    }

    private static TensorSource openBase(ExtractOptions options, Path adapterDir) {
        Path base = options.base().orElseThrow(() -> new ExtractException(adapterDir
                + " is a DoRA adapter: its update depends on the base weights, so re-factoring it needs --base"));
        return Safetensors.open(base);
    }

    private static ModuleWork work(LoraModule m, TensorSource base, Path dir) {
        boolean embedding = m.kind() == LayerKind.EMBEDDING;
        String prefix = ModuleWork.PREFIX + m.moduleName();
        if (!m.magnitude().isPresent()) {
            return new ModuleWork.Refactored(m, prefix + (embedding ? ".lora_embedding_A" : ".lora_A.weight"),
                    prefix + (embedding ? ".lora_embedding_B" : ".lora_B.weight"));
        }
        if (m.kind() != LayerKind.LINEAR) {
            throw new ExtractException(dir + ": module " + m.moduleName() + " is a DoRA " + m.kind()
                    + "; only DoRA on linear layers can be re-factored");
        }
        Tensor weight = base.tensor(m.baseWeightName());
        long[] shape = m.baseWeightShape();
        if (!java.util.Arrays.equals(weight.shape(), shape)) {
            throw new ExtractException(m.baseWeightName() + " is " + java.util.Arrays.toString(weight.shape())
                    + " in the base but the adapter expects " + java.util.Arrays.toString(shape) + ": not this adapter's base");
        }
        return new ModuleWork.Streamed(m.moduleName(), (int) shape[0], (int) shape[1], false, () -> new DoraDelta(m, weight));
    }

    private static ExtractReport run(ExtractOptions options, List<ModuleWork> works, AdapterConfig config,
                                     Map<String, Tensor> whole, List<String> unchanged, List<String> warnings, long start) {
        try (OutputDirectory out = OutputDirectory.create(options.out(), options.overwrite(), inputs(options));
             FactorSpill spill = new FactorSpill(out.path())) {
            List<ModuleRunner.Finished> finished = ModuleRunner.run(works, options, spill);
            List<ModuleRunner.Finished> kept = new ArrayList<>();
            List<String> allUnchanged = new ArrayList<>(unchanged);
            for (ModuleRunner.Finished f : finished) {
                if (f.row().rank() == 0) {
                    allUnchanged.add(f.work().module());
                } else {
                    kept.add(f);
                }
            }
            if (kept.isEmpty()) {
                throw new ExtractException("every selected module is unchanged: nothing to extract (is TUNED the same model as BASE?)");
            }
            long parameters = AdapterFiles.write(out, kept, spill, config, whole, options.uniformRank());
            spill.close();
            long bytes = size(out.path().resolve(LoraAdapter.WEIGHTS_FILE));
            out.commit();
            List<ModuleExtraction> rows = kept.stream().map(ModuleRunner.Finished::row).toList();
            double lost = rows.stream().mapToDouble(r -> sq(r.relativeError() * r.deltaNorm())).sum();
            double total = rows.stream().mapToDouble(r -> sq(r.deltaNorm())).sum();
            int r = rows.stream().mapToInt(ModuleExtraction::rank).max().orElse(0);
            return new ExtractReport(options.out(), r, method(options), rows, allUnchanged,
                    whole.keySet().stream().map(k -> k.substring(ModuleWork.PREFIX.length())).toList(), warnings,
                    parameters, bytes, total > 0 ? Math.sqrt(lost / total) : 0, (System.nanoTime() - start) / 1e9);
        }
    }

    /** The inputs, which the output must not be or contain. */
    private static Path[] inputs(ExtractOptions o) {
        return java.util.stream.Stream.of(o.base(), o.tuned(), o.adapter()).flatMap(java.util.Optional::stream).toArray(Path[]::new);
    }

    private static double sq(double x) {
        return x * x;
    }

    private static String method(ExtractOptions o) {
        if (o.adapter().isPresent()) {
            return "exact SVD in factor space" + (o.base().isPresent() ? " (DoRA modules: " + streamed(o) + ")" : "");
        }
        return streamed(o);
    }

    private static String streamed(ExtractOptions o) {
        return o.exact() ? "exact SVD" : String.format(Locale.ROOT, "randomized SVD (oversampling %d, %d power iterations)",
                o.oversampling(), o.powerIterations());
    }

    /** The tensors of the modules to save, by adapter key; every name must match some tensor. */
    private static Map<String, Tensor> modulesToSave(ModelPair pair, List<String> modules) {
        Map<String, Tensor> whole = new LinkedHashMap<>();
        for (String module : modules) {
            boolean found = false;
            for (String tensor : pair.tensorNames()) {
                int dot = tensor.lastIndexOf('.');
                String owner = dot < 0 ? "" : tensor.substring(0, dot);
                if (owner.equals(module) || owner.endsWith("." + module)) {
                    whole.put(ModuleWork.PREFIX + tensor, pair.tunedTensor(tensor));
                    found = true;
                }
            }
            if (!found) {
                throw new ExtractException("--modules-to-save " + module + ": no module of that name in the tuned model");
            }
        }
        return whole;
    }

    /** A warning for tensors that changed but are neither extracted nor saved whole. */
    private static List<String> uncovered(ModelPair pair, List<ModelPair.LinearModule> selected, Map<String, Tensor> whole) {
        Set<String> covered = selected.stream().map(ModelPair.LinearModule::weightName).collect(Collectors.toSet());
        List<String> changed = pair.tensorNames().stream()
                .filter(t -> !covered.contains(t) && !whole.containsKey(ModuleWork.PREFIX + t))
                .filter(t -> !pair.identical(t))
                .toList();
        if (changed.isEmpty()) {
            return List.of();
        }
        return List.of(changed.size() + " tensor(s) differ between the models but are not in the adapter (e.g. "
                + String.join(", ", changed.subList(0, Math.min(3, changed.size())))
                + "); add their modules with --modules-to-save (or --targets) if they matter");
    }

    /**
     * PEFT's {@code target_modules}: the short names (e.g. {@code q_proj}) when every linear module
     * with such a name is extracted, else the full names.
     */
    static List<String> targetModules(List<String> written, List<ModelPair.LinearModule> candidates) {
        Map<String, Set<String>> bySuffix = new LinkedHashMap<>();
        candidates.forEach(c -> bySuffix.computeIfAbsent(suffix(c.name()), k -> new LinkedHashSet<>()).add(c.name()));
        Set<String> writtenSet = new LinkedHashSet<>(written);
        Set<String> suffixes = new LinkedHashSet<>();
        for (String module : written) {
            suffixes.add(suffix(module));
        }
        boolean complete = suffixes.stream().allMatch(s -> writtenSet.containsAll(bySuffix.getOrDefault(s, Set.of())));
        return complete ? List.copyOf(suffixes) : List.copyOf(written);
    }

    private static String suffix(String module) {
        return module.substring(module.lastIndexOf('.') + 1);
    }

    private static String taskType(Path tunedDir) {
        Path config = tunedDir.resolve("config.json");
        try {
            return Files.isRegularFile(config) && Files.readString(config).contains("ForCausalLM\"") ? "CAUSAL_LM" : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }
}
