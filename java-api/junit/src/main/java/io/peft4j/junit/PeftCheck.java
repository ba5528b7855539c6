package io.peft4j.junit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.bridge.PythonRuntime;
import io.peft4j.safetensors.Safetensors;
import io.peft4j.safetensors.Tensor;
import io.peft4j.safetensors.TensorInfo;
import io.peft4j.safetensors.TensorSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;

/**
 * Assertions that compare what Java produced with what PEFT itself produces from the same inputs,
 * through the embedded Python ({@code peft4j_junit.checks} writes PEFT's result to a temporary
 * directory; the comparison is done here, tensor by tensor). Injected by {@link PeftExtension}.
 *
 * <p>Values compare like numpy's {@code allclose}: {@code |actual - expected| <= atol + rtol * |expected|},
 * after conversion to float32; names, dtypes and shapes must match exactly. A failure lists every
 * tensor that differs (the first 20), with its largest difference.
 */
public final class PeftCheck {

    /** Relative tolerance of {@link #assertMergedEquals}: peft4j's merge is meant to be bit-identical to PEFT's. */
    public static final double MERGE_RTOL = 1e-6;
    /** Absolute tolerance of {@link #assertMergedEquals}. */
    public static final double MERGE_ATOL = 1e-7;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SHOWN = 20;

    private final PythonRuntime python;

    PeftCheck(PythonRuntime python) {
        this.python = python;
        python.addPackage(PeftCheck.class, "peft4j_junit");
    }

    /**
     * Asserts that {@code mergedDir} (e.g. written by {@code io.peft4j.merge.BaseMerger}) holds the
     * tensors PEFT's {@code merge_and_unload} gives for {@code adapter} merged into {@code base}.
     */
    public void assertMergedEquals(Path mergedDir, Path base, Path adapter) {
        assertMergedEquals(mergedDir, base, List.of(adapter), List.of(1.0));
    }

    /**
     * Asserts that {@code mergedDir} holds the tensors PEFT gives for {@code adapters} merged into
     * {@code base} in order, each adapter's scaling multiplied by its weight
     * ({@code merge_and_unload(adapter_names=[...])}), within {@link #MERGE_RTOL} and {@link #MERGE_ATOL}.
     */
    public void assertMergedEquals(Path mergedDir, Path base, List<Path> adapters, List<Double> weights) {
        Path work = temporaryDirectory();
        try {
            Path reference = work.resolve("peft-merged");
            python.call("peft4j_junit.checks", "merge_and_unload", abs(base), json(adapters.stream().map(PeftCheck::abs).toList()),
                    json(weights), reference.toString());
            assertTensorsClose(reference, mergedDir, MERGE_RTOL, MERGE_ATOL);
        } finally {
            delete(work);
        }
    }

    /**
     * Asserts that PEFT loads {@code adapterDir} onto {@code base} and then holds exactly the tensors of
     * the adapter's file: none dropped, renamed or reshaped on the way ({@code PeftModel.from_pretrained},
     * then {@code get_peft_model_state_dict}, compared bit for bit).
     */
    public void assertLoadsInPeft(Path adapterDir, Path base) {
        Path work = temporaryDirectory();
        try {
            Path loaded = work.resolve("adapter_model.safetensors");
            python.call("peft4j_junit.checks", "loaded_adapter_state", abs(base), abs(adapterDir), loaded.toString());
            assertTensorsClose(adapterDir.resolve("adapter_model.safetensors"), loaded, 0, 0);
        } finally {
            delete(work);
        }
    }

    /**
     * Asserts that two safetensors checkpoints (files, sharded index files or model directories, as
     * {@link Safetensors#open} takes them) hold the same tensor names, dtypes and shapes, with values
     * within {@code |actual - expected| <= atol + rtol * |expected|}.
     */
    public void assertTensorsClose(Path expected, Path actual, double rtol, double atol) {
        List<String> problems = new ArrayList<>();
        try (TensorSource want = Safetensors.open(expected); TensorSource got = Safetensors.open(actual)) {
            TreeSet<String> wantNames = names(want);
            TreeSet<String> gotNames = names(got);
            for (String name : wantNames) {
                if (!gotNames.contains(name)) {
                    problems.add(name + ": missing from " + actual);
                }
            }
            for (String name : gotNames) {
                if (!wantNames.contains(name)) {
                    problems.add(name + ": not in " + expected);
                }
            }
            for (String name : wantNames) {
                if (gotNames.contains(name)) {
                    String problem = compare(want.tensor(name), got.tensor(name), rtol, atol);
                    if (problem != null) {
                        problems.add(problem);
                    }
                }
            }
        }
        if (!problems.isEmpty()) {
            String shown = String.join("\n  ", problems.subList(0, Math.min(SHOWN, problems.size())));
            Assertions.fail(actual + " differs from " + expected + " in " + problems.size() + " place(s):\n  " + shown
                    + (problems.size() > SHOWN ? "\n  ..." : ""));
        }
    }

    /** Null when the tensors agree, else one line saying how they differ. */
    private static String compare(Tensor want, Tensor got, double rtol, double atol) {
        String name = want.name();
        if (want.dtype() != got.dtype()) {
            return name + ": dtype " + got.dtype().safetensorsName() + ", expected " + want.dtype().safetensorsName();
        }
        if (!Arrays.equals(want.shape(), got.shape())) {
            return name + ": shape " + Arrays.toString(got.shape()) + ", expected " + Arrays.toString(want.shape());
        }
        if (!want.dtype().isFloatingPoint()) {
            return want.data().mismatch(got.data()) == -1 ? null : name + ": integer values differ";
        }
        float[] e = want.toFloatArray();
        float[] a = got.toFloatArray();
        int bad = 0;
        int worst = -1;
        double worstDiff = -1;
        for (int i = 0; i < e.length; i++) {
            double diff = Math.abs((double) a[i] - e[i]);
            boolean close = diff <= atol + rtol * Math.abs(e[i]) || (Float.isNaN(e[i]) && Float.isNaN(a[i]))
                    || (e[i] == a[i]);
            if (!close) {
                bad++;
                if (!(diff <= worstDiff)) {
                    worstDiff = diff;
                    worst = i;
                }
            }
        }
        if (bad == 0) {
            return null;
        }
        return String.format(Locale.ROOT, "%s: %d of %d values differ, largest |diff| %.3g at index %d (expected %s, actual %s)",
                name, bad, e.length, worstDiff, worst, e[worst], a[worst]);
    }

    private static TreeSet<String> names(TensorSource source) {
        TreeSet<String> names = new TreeSet<>();
        for (TensorInfo info : source.tensors()) {
            names.add(info.name());
        }
        return names;
    }

    private static String abs(Path path) {
        return path.toAbsolutePath().normalize().toString();
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path temporaryDirectory() {
        try {
            return Files.createTempDirectory("peft4j-check");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory", e);
        }
    }

    /** Deletes {@code dir} and everything in it. */
    static void delete(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
