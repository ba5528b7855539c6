package io.peft4j.merge;

import com.fasterxml.jackson.databind.JsonNode;
import io.peft4j.output.OutputDirectory;
import io.peft4j.peft.AdapterConfig;
import io.peft4j.peft.LayerKind;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraDelta;
import io.peft4j.peft.LoraModule;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.Tensor;
import io.peft4j.safetensors.TensorSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * LoRA soups: combines adapters trained on the same base into one new PEFT adapter, with PEFT's
 * {@code add_weighted_adapter} semantics ({@link SoupMethod} gives each formula), except where PEFT
 * 0.21 is wrong: the result is written with {@code lora_alpha = r} and {@code use_rslora = false}
 * whatever the first input used (PEFT copies {@code use_rslora} from the first adapter, which then
 * scales the result by {@code sqrt(r)}, peft#3761), and DoRA inputs are refused (a DoRA adapter's
 * effect depends on the base weights, which a soup does not see; PEFT silently keeps the first
 * adapter's magnitudes). A module present in only some adapters is combined from those.
 * Whole-module tensors ({@code modules_to_save}) are carried over when a single input has them.
 */
public final class LoraSoup {

    private static final String PREFIX = "base_model.model.";

    private LoraSoup() {}

    /** Makes the soup described by {@code options} and writes it as an adapter directory. */
    public static SoupReport soup(SoupOptions options) {
        OutputDirectory.checkFree(options.out(), options.overwrite(), inputs(options));
        List<LoraAdapter> adapters = new ArrayList<>();
        try {
            for (WeightedAdapter wa : options.adapters()) {
                adapters.add(LoraAdapter.load(wa.directory()));
            }
            for (LoraAdapter adapter : adapters) {
                if (adapter.config().useDora()) {
                    throw new MergeException(adapter.directory() + ": DoRA adapters cannot be souped without the base"
                            + " weights (their effect depends on them); merge them into the base instead");
                }
            }
            List<SoupInput> inputs = adapters.stream()
                    .map(a -> new SoupInput(a.directory().toString(), a.modules(), adapterRank(a.config())))
                    .toList();
            SoupResult result = combine(options, inputs);
            new PeftWriter(options, adapters).write(result);
            return result.report(options.out(), warnings(options));
        } finally {
            adapters.forEach(LoraAdapter::close);
        }
    }

    /**
     * The soup's arithmetic on modules from any source (the inputs of {@link #soup}, or the modules
     * of diffusion LoRAs read from kohya or diffusers files), module by module, without reading or
     * writing anything; {@code options.adapters()} gives the weights, in the order of {@code inputs}.
     * A single input is combined linearly whatever the method (except ZipLoRA), as PEFT does
     * ({@link #warnings} says so).
     */
    public static SoupResult combine(SoupOptions options, List<SoupInput> inputs) {
        if (inputs.size() != options.adapters().size()) {
            throw new IllegalArgumentException(inputs.size() + " inputs for " + options.adapters().size() + " weights");
        }
        SoupMethod method = single(options) ? SoupMethod.LINEAR : options.method();
        return new Soup(method, options, inputs).run();
    }

    /** What the user should know about a soup of {@code options} (one line each). */
    public static List<String> warnings(SoupOptions options) {
        return single(options) ? singleAdapterWarning(options) : List.of();
    }

    private static boolean single(SoupOptions options) {
        return options.adapters().size() == 1 && options.method() != SoupMethod.ZIPLORA;
    }

    /** The rank of a PEFT adapter: {@code r}, or the largest {@code rank_pattern} value above it. */
    private static int adapterRank(AdapterConfig config) {
        return Math.max(config.rank(), config.rankPattern().values().stream().mapToInt(Integer::intValue).max().orElse(0));
    }

    /**
     * PEFT's {@code add_weighted_adapter} combines a single adapter linearly whatever method it is
     * given ({@code combination_type = "linear" if len(adapters) == 1}); so does this, and says so.
     */
    private static List<String> singleAdapterWarning(SoupOptions options) {
        if (options.method() == SoupMethod.LINEAR) {
            return List.of();
        }
        List<String> unused = new ArrayList<>();
        if (options.density() != null) {
            unused.add("density");
        }
        if (options.rank().isPresent()) {
            unused.add("rank");
        }
        return List.of("a single adapter has nothing to combine: " + options.method().cliName()
                + " acts as linear, as in PEFT's add_weighted_adapter, so the result is the adapter times its weight"
                + (unused.isEmpty() ? "" : " (" + String.join(" and ", unused) + " unused)"));
    }

    /** The adapter folders a soup reads, which its output may never replace. */
    private static Path[] inputs(SoupOptions options) {
        return options.adapters().stream().map(WeightedAdapter::directory).toArray(Path[]::new);
    }

    /** One soup in progress. */
    private static final class Soup {
        private final SoupMethod method;
        private final SoupOptions options;
        private final List<SoupInput> inputs;
        private final SplittableRandom random;
        private final List<ZipLoraLayer> layers = new ArrayList<>();

        Soup(SoupMethod method, SoupOptions options, List<SoupInput> inputs) {
            this.method = method;
            this.options = options;
            this.inputs = inputs;
            this.random = new SplittableRandom(options.seed());
        }

        /** An input module with its adapter's weight. */
        private record Part(LoraModule module, double weight, String adapter) {
            float[] a() {
                return module.loraA().toFloatArray();
            }

            float[] b() {
                return module.loraB().toFloatArray();
            }

            int rank() {
                return module.rank();
            }

            /** {@code w * s} in double, as Python computes it. */
            double weightedScaling() {
                return weight * module.scaling();
            }
        }

        SoupResult run() {
            int rank = newRank();
            Map<String, List<Part>> modules = new LinkedHashMap<>();
            for (int i = 0; i < inputs.size(); i++) {
                for (LoraModule m : inputs.get(i).modules()) {
                    modules.computeIfAbsent(m.moduleName(), k -> new ArrayList<>())
                            .add(new Part(m, options.adapters().get(i).weight(), inputs.get(i).label()));
                }
            }
            List<String> names = List.copyOf(modules.keySet());
            names.forEach(name -> checkCompatible(name, modules.get(name), rank));
            LoraFactors[] combined = new LoraFactors[names.size()];
            // modules are independent: on every core, unless the method draws random numbers (DARE, in
            // module order for a given seed) or sums losses across modules (ZipLoRA)
            IntStream indices = IntStream.range(0, names.size());
            boolean parallel = !method.drawsRandomNumbers() && method != SoupMethod.ZIPLORA;
            (parallel ? indices.parallel() : indices).forEach(i ->
                    combined[i] = pad(combine(names.get(i), modules.get(names.get(i)), rank), rank));
            Map<String, SoupResult.Module> results = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                results.put(names.get(i), new SoupResult.Module(modules.get(names.get(i)).getFirst().module(), combined[i]));
            }
            return new SoupResult(method, rank, results, layers);
        }

        /** PEFT's new rank: equal ranks for factor methods, their sum for cat, the asked or largest for svd. */
        private int newRank() {
            List<Integer> ranks = inputs.stream().map(SoupInput::rank).toList();
            return switch (method.kind()) {
                case FACTORS -> {
                    if (new LinkedHashSet<>(ranks).size() != 1) {
                        throw new MergeException(method.cliName() + " needs adapters of the same rank, got " + ranks
                                + "; use cat, svd or a *_svd method");
                    }
                    yield ranks.getFirst();
                }
                case CONCAT -> ranks.stream().mapToInt(Integer::intValue).sum();
                case SVD -> options.rank().orElse(ranks.stream().mapToInt(Integer::intValue).max().orElseThrow());
                case ZIPLORA -> ranks.stream().mapToInt(Integer::intValue).sum();
            };
        }

        /** Same kind and shape in every adapter; an SVD rank the module's update can have. */
        private void checkCompatible(String module, List<Part> parts, int rank) {
            LoraModule first = parts.getFirst().module();
            long out = first.loraB().shape()[0];
            long in = first.loraA().numel() / first.rank();
            if (method.kind() == SoupMethod.Kind.SVD && rank > Math.min(out, in)) {
                throw new MergeException("rank " + rank + " is larger than " + module + " allows: its update is "
                        + out + " x " + in + ", so its rank is at most " + Math.min(out, in));
            }
            for (Part p : parts) {
                LoraModule m = p.module();
                if (m.kind() != first.kind() || !Arrays.equals(m.baseWeightShape(), first.baseWeightShape())) {
                    throw new MergeException(module + ": " + p.adapter() + " has a " + m.kind() + " of base shape "
                            + Arrays.toString(m.baseWeightShape()) + " but " + parts.getFirst().adapter() + " a " + first.kind()
                            + " of " + Arrays.toString(first.baseWeightShape()) + " (adapters for different models?)");
                }
            }
        }

        private LoraFactors combine(String module, List<Part> parts, int rank) {
            LoraModule first = parts.getFirst().module();
            int out = Math.toIntExact(first.loraB().shape()[0]);
            int in = Math.toIntExact(first.loraA().numel() / first.rank());
            return switch (method.kind()) {
                case CONCAT -> concat(parts, out, in);
                case FACTORS -> factors(module, parts, out, in);
                case SVD -> svd(parts, out, in, rank);
                case ZIPLORA -> zip(module, parts, out, in);
            };
        }

        /** {@code A = rows(fl(fl(A_i * w_i) * s_i))}, {@code B = cols(B_i)}, as PEFT's two float32 multiplies. */
        private static LoraFactors concat(List<Part> parts, int out, int in) {
            int total = parts.stream().mapToInt(Part::rank).sum();
            float[] a = new float[total * in];
            float[] b = new float[out * total];
            int offset = 0;
            for (Part p : parts) {
                float w = (float) p.weight();
                float s = (float) p.module().scaling();
                float[] ai = p.a();
                for (int j = 0; j < ai.length; j++) {
                    a[offset * in + j] = (ai[j] * w) * s;
                }
                copyColumns(p.b(), out, p.rank(), b, total, offset);
                offset += p.rank();
            }
            return new LoraFactors(b, a, out, total, in);
        }

        /** A and B combined separately with weights {@code sign(c) sqrt|c|} and {@code sqrt|c|}, c = w * s. */
        private LoraFactors factors(String module, List<Part> parts, int out, int in) {
            int r = parts.getFirst().rank();
            float[][] as = new float[parts.size()][];
            float[][] bs = new float[parts.size()][];
            float[] weightsA = new float[parts.size()];
            float[] weightsB = new float[parts.size()];
            for (int i = 0; i < parts.size(); i++) {
                Part p = parts.get(i);
                if (p.rank() != r) {
                    throw new MergeException(module + ": " + method.cliName() + " needs equal ranks, got " + r
                            + " and " + p.rank() + " (rank_pattern); use cat or svd");
                }
                double c = p.weightedScaling();
                double root = Math.sqrt(Math.abs(c));
                weightsA[i] = (float) (c >= 0 ? root : -root);
                weightsB[i] = (float) root;
                as[i] = p.a();
                bs[i] = p.b();
            }
            Combination f = method.combination().orElseThrow();
            double density = density();
            float[] a = f.apply(as, weightsA, density, options.majoritySign(), random);
            float[] b = f.apply(bs, weightsB, density, options.majoritySign(), random);
            return new LoraFactors(b, a, out, r, in);
        }

        /** Truncated SVD of the combined update: through QR of the stacked factors for plain svd. */
        private LoraFactors svd(List<Part> parts, int out, int in, int rank) {
            if (method == SoupMethod.SVD) {
                int total = parts.stream().mapToInt(Part::rank).sum();
                float[] bStack = new float[out * total];
                float[] aStack = new float[total * in];
                int offset = 0;
                for (Part p : parts) {
                    float c = (float) p.weightedScaling();
                    float[] bi = p.b();
                    for (int j = 0; j < bi.length; j++) {
                        bi[j] *= c;
                    }
                    copyColumns(bi, out, p.rank(), bStack, total, offset);
                    System.arraycopy(p.a(), 0, aStack, offset * in, p.rank() * in);
                    offset += p.rank();
                }
                return LowRankSvd.ofProduct(bStack, aStack, out, total, in, rank);
            }
            float[][] deltas = new float[parts.size()][];
            float[] weights = new float[parts.size()];
            for (int i = 0; i < parts.size(); i++) {
                Part p = parts.get(i);
                deltas[i] = LoraDelta.of(p.b(), p.a(), out, p.rank(), in, p.module().scaling()).toArray();
                weights[i] = (float) p.weight();
            }
            float[] combined = method.combination().orElseThrow().apply(deltas, weights, density(), options.majoritySign(), random);
            return LowRankSvd.ofMatrix(combined, out, in, rank);
        }

        /** ZipLoRA: {@code B = [c1 B1, c2 B2]}, {@code A = [A1 diag(m1); A2 diag(m2)]} with optimised mergers. */
        private LoraFactors zip(String module, List<Part> parts, int out, int in) {
            if (parts.size() == 1) {
                Part p = parts.getFirst();
                float[] b = p.b();
                float c = (float) p.weightedScaling();
                for (int j = 0; j < b.length; j++) {
                    b[j] *= c;
                }
                return new LoraFactors(b, p.a(), out, p.rank(), in);
            }
            Part p1 = parts.get(0);
            Part p2 = parts.get(1);
            LoraFactors f1 = new LoraFactors(p1.b(), p1.a(), out, p1.rank(), in);
            LoraFactors f2 = new LoraFactors(p2.b(), p2.a(), out, p2.rank(), in);
            ZipLoraObjective objective = ZipLoraObjective.of(f1, p1.weightedScaling(), f2, p2.weightedScaling(),
                    calibration(0, module), calibration(1, module), options.lambda());
            ZipLoraObjective.Mergers m = objective.minimise(options.steps(), ZipLoraObjective.DEFAULT_LEARNING_RATE);
            double[] ones = new double[in];
            Arrays.fill(ones, 1);
            layers.add(new ZipLoraLayer(module, m.initialLoss(), m.finalLoss(),
                    objective.columnOverlap(ones, ones), objective.columnOverlap(m.m1(), m.m2()),
                    objective.columnAlignment(ones, ones), objective.columnAlignment(m.m1(), m.m2())));
            int total = p1.rank() + p2.rank();
            float[] a = new float[total * in];
            float[] b = new float[out * total];
            int offset = 0;
            for (int t = 0; t < 2; t++) {
                LoraFactors f = t == 0 ? f1 : f2;
                double[] merger = t == 0 ? m.m1() : m.m2();
                float c = (float) (t == 0 ? p1 : p2).weightedScaling();
                for (int r = 0; r < f.rank(); r++) {
                    for (int j = 0; j < in; j++) {
                        a[(offset + r) * in + j] = (float) (f.a()[r * in + j] * merger[j]);
                    }
                }
                float[] scaledB = f.b().clone();
                for (int j = 0; j < scaledB.length; j++) {
                    scaledB[j] *= c;
                }
                copyColumns(scaledB, out, f.rank(), b, total, offset);
                offset += f.rank();
            }
            return new LoraFactors(b, a, out, total, in);
        }

        private float[] calibration(int adapter, String module) {
            return options.calibration().isEmpty() ? null : options.calibration().get(adapter).get(module);
        }

        private double density() {
            return options.density() == null ? 1.0 : options.density();
        }

        /** Zero-pads a pair to the soup's rank (PEFT allocates every module at the new rank). */
        private static LoraFactors pad(LoraFactors f, int rank) {
            if (f.rank() == rank) {
                return f;
            }
            if (f.rank() > rank) {
                throw new IllegalStateException("module rank " + f.rank() + " above the soup's " + rank);
            }
            float[] a = Arrays.copyOf(f.a(), rank * f.in());
            float[] b = new float[f.out() * rank];
            copyColumns(f.b(), f.out(), f.rank(), b, rank, 0);
            return new LoraFactors(b, a, f.out(), rank, f.in());
        }

        private static void copyColumns(float[] src, int rows, int srcCols, float[] dst, int dstCols, int offset) {
            for (int o = 0; o < rows; o++) {
                System.arraycopy(src, o * srcCols, dst, o * dstCols + offset, srcCols);
            }
        }
    }

    /** Writes a soup as a PEFT adapter directory: the first input's config with PEFT's soup fields. */
    private record PeftWriter(SoupOptions options, List<LoraAdapter> adapters) {

        void write(SoupResult result) {
            int rank = result.rank();
            Map<String, float[]> values = new LinkedHashMap<>();
            List<TensorSpec> specs = new ArrayList<>();
            for (Map.Entry<String, SoupResult.Module> e : result.modules().entrySet()) {
                LoraModule first = e.getValue().template();
                LoraFactors f = e.getValue().factors();
                boolean embedding = first.kind() == LayerKind.EMBEDDING;
                String aName = PREFIX + e.getKey() + (embedding ? ".lora_embedding_A" : ".lora_A.weight");
                String bName = PREFIX + e.getKey() + (embedding ? ".lora_embedding_B" : ".lora_B.weight");
                long[] aShape = first.loraA().shape();
                aShape[0] = rank;
                long[] bShape = first.loraB().shape();
                bShape[1] = rank;
                specs.add(new TensorSpec(aName, DType.F32, aShape));
                specs.add(new TensorSpec(bName, DType.F32, bShape));
                values.put(aName, f.a());
                values.put(bName, f.b());
            }
            Map<String, Tensor> carried = carriedTensors();
            carried.forEach((name, t) -> specs.add(new TensorSpec(PREFIX + name, t.dtype(), t.shape())));
            try (OutputDirectory out = OutputDirectory.create(options.out(), options.overwrite(), inputs(options))) {
                try (SafetensorsWriter writer = SafetensorsWriter.create(out.path().resolve(LoraAdapter.WEIGHTS_FILE),
                        specs, Map.of("format", "pt"))) {
                    values.forEach(writer::write);
                    carried.forEach((name, t) -> writer.write(PREFIX + name, t.data()));
                    writer.commit();
                }
                config(rank).writeTo(out.path());
                out.commit();
            }
        }

        /** Whole-module tensors ({@code modules_to_save}), each from the single input that has it. */
        private Map<String, Tensor> carriedTensors() {
            Map<String, Tensor> carried = new LinkedHashMap<>();
            for (LoraAdapter adapter : adapters) {
                for (Map.Entry<String, Tensor> e : adapter.replacements().entrySet()) {
                    if (carried.putIfAbsent(e.getKey(), e.getValue()) != null) {
                        throw new MergeException(adapter.directory() + ": " + e.getKey() + " is a modules_to_save tensor"
                                + " of several inputs; such tensors cannot be combined");
                    }
                }
            }
            return carried;
        }

        /** The first input's config with PEFT's soup fields, scaling 1 and no rsLoRA/DoRA. */
        private AdapterConfig config(int rank) {
            AdapterConfig config = adapters.getFirst().config()
                    .with("r", rank)
                    .with("lora_alpha", rank)
                    .with("rank_pattern", Map.of())
                    .with("alpha_pattern", Map.of())
                    .with("use_rslora", false)
                    .with("use_dora", false)
                    .with("target_modules", targetModules());
            Set<String> modulesToSave = new LinkedHashSet<>();
            adapters.forEach(a -> modulesToSave.addAll(a.config().modulesToSave()));
            return config.with("modules_to_save", modulesToSave.isEmpty() ? null : List.copyOf(modulesToSave));
        }

        /** The union of the inputs' target lists, or their regexes joined as {@code (a)|(b)}, like PEFT. */
        private Object targetModules() {
            List<JsonNode> targets = adapters.stream()
                    .map(a -> a.config().field("target_modules").orElse(null))
                    .toList();
            if (targets.stream().allMatch(t -> t != null && t.isTextual())) {
                return String.join("|", targets.stream().map(t -> "(" + t.asText() + ")").toList());
            }
            if (targets.stream().allMatch(t -> t != null && t.isArray())) {
                Set<String> union = new LinkedHashSet<>();
                targets.forEach(t -> t.forEach(n -> union.add(n.asText())));
                return List.copyOf(union);
            }
            throw new MergeException("the adapters mix target_modules given as a list and as a regex;"
                    + " PEFT cannot combine those either");
        }
    }
}
