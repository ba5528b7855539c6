package io.peft4j.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.peft4j.peft.LoraAdapter;
import io.peft4j.peft.LoraModule;
import io.peft4j.safetensors.Safetensors;
import io.peft4j.safetensors.Tensor;
import io.peft4j.safetensors.TensorInfo;
import io.peft4j.safetensors.TensorSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Merges the adapters PEFT made into the bases PEFT made (through the bridge, in this JVM) and
 * compares with PEFT's own {@code merge_and_unload} output value by value: every layer kind (Linear
 * bf16/fp32, GPT-2 Conv1D, Embedding, Conv2d 3x3 and 1x1), DoRA, rsLoRA, rank/alpha patterns,
 * lora_bias, modules_to_save, two weighted adapters.
 *
 * <p>What is asserted is peft4j's promise on every CPU. PEFT's deltas come from torch's CPU kernels
 * (a matmul, or a convolution for k x k Conv2d; DoRA adds a norm), which choose their summation
 * order by CPU and by shape; the reference records what they computed during its merge. Where they
 * computed exactly what peft4j computes, every merged value must be bit-identical (the rest of a
 * merge is element-wise IEEE arithmetic); where they summed in another order, every value must lie
 * within {@link ReorderBound}. Tensors no delta touches must be bit-identical.
 */
class BaseMergerPeftTest {

    @TempDir
    Path temp;

    @TestFactory
    Stream<DynamicTest> mergesMatchPeft() throws Exception {
        Path run = PeftReference.build("build_merges");
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : PeftReference.manifest(run)) {
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> check(c)));
        }
        return tests.stream();
    }

    private void check(JsonNode c) throws Exception {
        String name = c.get("name").asText();
        MergeOptions.Builder options = MergeOptions.builder(Path.of(c.get("base").asText()), temp.resolve(name));
        List<LoraAdapter> adapters = new ArrayList<>();
        List<Double> weights = new ArrayList<>();
        for (JsonNode a : c.get("adapters")) {
            options.adapter(Path.of(a.get("dir").asText()), a.get("weight").asDouble());
            adapters.add(LoraAdapter.load(Path.of(a.get("dir").asText())));
            weights.add(a.get("weight").asDouble());
        }
        MergeReport report = BaseMerger.merge(options.build());
        assertTrue(report.changed() > 0);
        long equal = 0;
        long total = 0;
        int otherOrder = 0;
        double worst = 0;
        try (TensorSource ours = Safetensors.open(report.out());
             TensorSource peft = Safetensors.open(Path.of(c.get("expected").asText()));
             TensorSource base = Safetensors.open(Path.of(c.get("base").asText()));
             TensorSource kernels = Safetensors.open(Path.of(c.get("kernels").asText()))) {
            Map<String, List<TensorUpdate>> updates = updates(adapters, weights);
            for (TensorInfo info : peft.tensors()) {
                Tensor expected = peft.tensor(info.name());
                Tensor actual = ours.tensor(info.name());
                assertEquals(expected.dtype(), actual.dtype(), info.name());
                assertArrayEquals(expected.shape(), actual.shape(), info.name());
                float[] e = expected.toFloatArray();
                float[] a = actual.toFloatArray();
                List<TensorUpdate> changes = updates.getOrDefault(info.name(), List.of());
                float[] unmerged = changes.isEmpty() ? e : base.tensor(info.name()).toFloatArray();
                boolean sameKernels = changes.stream().allMatch(u -> sameAsTorch(u, unmerged, kernels));
                double[] bound = sameKernels ? new double[e.length] : ReorderBound.of(changes, unmerged, info.dtype());
                otherOrder += sameKernels ? 0 : 1;
                for (int j = 0; j < e.length; j++) {
                    boolean identical = Float.floatToRawIntBits(e[j]) == Float.floatToRawIntBits(a[j]);
                    equal += identical ? 1 : 0;
                    if (!identical) {
                        double off = Math.abs((double) e[j] - a[j]);
                        assertTrue(off <= bound[j], name + " " + info.name() + "[" + j + "]: peft4j " + a[j] + ", PEFT " + e[j]
                                + (sameKernels ? " although torch's kernels computed peft4j's deltas exactly" : ", beyond the reorder bound " + bound[j]));
                        worst = Math.max(worst, off / bound[j]);
                    }
                }
                total += e.length;
            }
        } finally {
            adapters.forEach(LoraAdapter::close);
        }
        System.out.printf("merge %-24s bit-identical to PEFT: %d / %d = %.6f; %d tensor(s) summed in another order by this CPU's"
                + " kernels, within %.0f%% of the reorder bound%n", name, equal, total, (double) equal / total, otherOrder, 100 * worst);
        try (Stream<Path> files = Files.list(report.out())) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no temporary files left");
        }
    }

    /** The updates of each base tensor, in merge order (the fixtures' names need no resolution). */
    private static Map<String, List<TensorUpdate>> updates(List<LoraAdapter> adapters, List<Double> weights) {
        Map<String, List<TensorUpdate>> updates = new LinkedHashMap<>();
        for (int i = 0; i < adapters.size(); i++) {
            for (LoraModule m : adapters.get(i).modules()) {
                String adapter = "a" + i;
                updates.computeIfAbsent(m.baseWeightName(), k -> new ArrayList<>()).add(new TensorUpdate(m, weights.get(i), false, adapter));
                if (m.loraBBias().isPresent()) {
                    updates.computeIfAbsent(m.baseBiasName(), k -> new ArrayList<>()).add(new TensorUpdate(m, weights.get(i), true, adapter));
                }
            }
        }
        return updates;
    }

    /**
     * Whether torch computed this update's delta (and DoRA norm) bit for bit as peft4j does, as
     * recorded by the reference during PEFT's merge ({@code MODULE|ADAPTER|delta}, {@code |norm}).
     */
    private static boolean sameAsTorch(TensorUpdate update, float[] unmerged, TensorSource kernels) {
        if (update.bias()) {
            return true;
        }
        String key = update.module().moduleName() + "|" + update.adapter();
        float[] delta = update.delta();
        if (!Arrays.equals(delta, kernels.tensor(key + "|delta").toFloatArray())) {
            return false;
        }
        return update.module().magnitude().isEmpty() || Arrays.equals(
                update.doraNorms(unmerged, delta, Math.toIntExact(update.module().magnitude().get().numel())),
                kernels.tensor(key + "|norm").toFloatArray());
    }
}
