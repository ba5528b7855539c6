package io.peft4j.examples.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.SafetensorsFile;
import io.peft4j.safetensors.SafetensorsWriter;
import io.peft4j.safetensors.Tensor;
import io.peft4j.safetensors.TensorInfo;
import io.peft4j.safetensors.TensorSpec;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Benchmark: reading every tensor of a 1 GiB bf16 safetensors file into float32 arrays, and
 * opening a 5 GB (sparse) file with thousands of tensors and listing them, in Java (peft4j) and
 * in Python (safetensors + torch, run as a subprocess of the venv's python), printing both times
 * and their ratio.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp ... io.peft4j.examples.bench.SafetensorsReadBench \
 *     [--python VENV_OR_PYTHON] [--dir CACHE_DIR] [--iterations N] [--size-mb MB] [--list-tensors N]
 * </pre>
 *
 * The Python side is {@code examples/src/main/python/bench_safetensors_read.py}:
 * {@code safe_open(framework="pt")} then {@code get_tensor(name).float().numpy()}, what a Python
 * user does (numpy has no bfloat16). {@code --python} defaults to {@code PEFT4J_PYTHON}; without
 * either only the Java side runs. The input files are created once in {@code --dir} (default
 * {@code java.io.tmpdir/peft4j-bench-safetensors}) and reused; both sides read them from the page cache.
 */
public final class SafetensorsReadBench {

    private static final int ELEMENTS_PER_TENSOR = 1 << 20;
    private static final long LIST_TENSOR_BYTES = 1L << 20;

    private SafetensorsReadBench() {
    }

    /** Runs the benchmark; see the class comment for the arguments. */
    public static void main(String[] args) throws Exception {
        Map<String, String> options = parse(args);
        Path defaultDir = Path.of(System.getProperty("java.io.tmpdir"), "peft4j-bench-safetensors");
        Path dir = Path.of(options.getOrDefault("--dir", defaultDir.toString()));
        int iterations = Integer.parseInt(options.getOrDefault("--iterations", "3"));
        int sizeMb = Integer.parseInt(options.getOrDefault("--size-mb", "1024"));
        int listTensors = Integer.parseInt(options.getOrDefault("--list-tensors", "5000"));
        String python = options.getOrDefault("--python", System.getenv("PEFT4J_PYTHON"));
        Files.createDirectories(dir);

        Path readFile = dir.resolve("bf16-" + sizeMb + "MiB.safetensors");
        int tensors = (int) ((long) sizeMb * (1 << 20) / (2L * ELEMENTS_PER_TENSOR));
        ensureReadFile(readFile, tensors);
        Path listFile = dir.resolve("sparse-" + listTensors + "-tensors.safetensors");
        ensureListFile(listFile, listTensors);

        System.out.printf(Locale.ROOT, "read file: %s (%d bf16 tensors of %d elements, %.2f GB)%n", readFile, tensors,
                ELEMENTS_PER_TENSOR, Files.size(readFile) / 1e9);
        System.out.printf(Locale.ROOT, "list file: %s (%d tensors, %.2f GB, sparse)%n", listFile, listTensors,
                Files.size(listFile) / 1e9);

        readAll(readFile); // warm-up: JIT and page cache
        double[] javaRead = new double[iterations];
        for (int i = 0; i < iterations; i++) {
            long start = System.nanoTime();
            readAll(readFile);
            javaRead[i] = (System.nanoTime() - start) / 1e6;
        }
        int listIterations = Math.max(iterations, 200);
        for (int i = 0; i < listIterations; i++) {
            listAll(listFile); // warm-up
        }
        double[] javaList = new double[listIterations];
        for (int i = 0; i < listIterations; i++) {
            long start = System.nanoTime();
            listAll(listFile);
            javaList[i] = (System.nanoTime() - start) / 1e6;
        }
        System.out.printf(Locale.ROOT, "Java   read all as float32: median %.1f ms, min %.1f ms (%s)%n",
                median(javaRead), min(javaRead), format(javaRead));
        System.out.printf(Locale.ROOT, "Java   open + list %d tensors: median %.3f ms, min %.3f ms%n", listTensors,
                median(javaList), min(javaList));

        if (python == null || python.isBlank()) {
            System.out.println("Python side skipped: pass --python or set PEFT4J_PYTHON to a venv with safetensors and torch");
            return;
        }
        JsonNode py = runPython(python, readFile, listFile, iterations);
        double[] pyRead = doubles(py.get("read_ms"));
        double[] pyList = doubles(py.get("list_ms"));
        System.out.printf(Locale.ROOT, "Python read all as float32: median %.1f ms, min %.1f ms (%s) [torch %s, %d threads,"
                        + " safetensors %s]%n", median(pyRead), min(pyRead), format(pyRead), py.get("torch").asText(),
                py.get("torch_threads").asInt(), py.get("safetensors").asText());
        System.out.printf(Locale.ROOT, "Python open + list %d tensors: median %.3f ms, min %.3f ms%n", listTensors,
                median(pyList), min(pyList));
        System.out.printf(Locale.ROOT, "read ratio (Python / Java, medians): %.2fx%n", median(pyRead) / median(javaRead));
        System.out.printf(Locale.ROOT, "list ratio (Python / Java, medians): %.2fx%n", median(pyList) / median(javaList));
    }

    /**
     * Converts every tensor to a new float32 array, as a Java user holding float[] weights would,
     * tensors in parallel on the common pool (the file is shared; torch on the Python side also
     * uses every core).
     */
    private static double readAll(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            return f.tensors().parallelStream().mapToDouble(info -> f.tensor(info.name()).toFloatArray()[0]).sum();
        }
    }

    private static int listAll(Path file) {
        int chars = 0;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (TensorInfo info : f.tensors()) {
                chars += info.name().length();
            }
        }
        return chars;
    }

    private static void ensureReadFile(Path file, int tensors) {
        long expected = 0;
        List<TensorSpec> specs = new ArrayList<>();
        for (int i = 0; i < tensors; i++) {
            specs.add(new TensorSpec(String.format(Locale.ROOT, "model.layers.%03d.weight", i), DType.BF16,
                    new long[] {1024, ELEMENTS_PER_TENSOR / 1024}));
            expected += 2L * ELEMENTS_PER_TENSOR;
        }
        if (Files.exists(file)) {
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                if (f.fileSize() - f.dataStart() == expected) {
                    return;
                }
            }
        }
        System.out.println("creating " + file + " ...");
        try (SafetensorsWriter out = SafetensorsWriter.create(file, specs, Map.of("format", "pt"));
             Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(2L * ELEMENTS_PER_TENSOR);
            long state = 0x9E3779B97F4A7C15L;
            for (TensorInfo info : out.layout()) {
                for (long i = 0; i < ELEMENTS_PER_TENSOR; i++) {
                    state ^= state << 13;
                    state ^= state >>> 7;
                    state ^= state << 17;
                    float value = (float) ((state >>> 40) / (double) (1L << 24) - 0.5) * 0.1f;
                    buffer.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2 * i,
                            Tensor.floatToBf16Bits(value));
                }
                out.write(info.name(), buffer);
            }
            out.commit();
        }
    }

    /** A sparse file: a header with {@code tensors} 1 MiB bf16 entries, data left as a hole. */
    private static void ensureListFile(Path file, int tensors) throws IOException {
        String[] modules = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
            "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj", "input_layernorm", "post_attention_layernorm", "norm"};
        StringBuilder json = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        for (int i = 0; i < tensors; i++) {
            String name = "model.layers." + (i / modules.length) + "." + modules[i % modules.length] + ".weight";
            json.append(",\"").append(name).append("\":{\"dtype\":\"BF16\",\"shape\":[1024,512],\"data_offsets\":[")
                    .append(offset).append(',').append(offset + LIST_TENSOR_BYTES).append("]}");
            offset += LIST_TENSOR_BYTES;
        }
        json.append('}');
        while (json.length() % 8 != 0) {
            json.append(' ');
        }
        byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
        long size = 8 + header.length + offset;
        if (Files.exists(file) && Files.size(file) == size) {
            return;
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            raf.write(header);
        }
    }

    private static JsonNode runPython(String python, Path readFile, Path listFile, int iterations)
            throws IOException, InterruptedException {
        Path exe = Files.isDirectory(Path.of(python)) ? Path.of(python, "bin", "python") : Path.of(python);
        Path script = findScript();
        Process p = new ProcessBuilder(exe.toString(), script.toString(), readFile.toString(), listFile.toString(),
                Integer.toString(iterations)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("python side failed: " + new String(out, StandardCharsets.UTF_8));
        }
        return new ObjectMapper().readTree(out);
    }

    private static Path findScript() {
        for (Path candidate : List.of(Path.of("examples", "src", "main", "python", "bench_safetensors_read.py"),
                Path.of("src", "main", "python", "bench_safetensors_read.py"))) {
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException(
                "run from the repository root: examples/src/main/python/bench_safetensors_read.py not found");
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i], args[i + 1]);
        }
        return options;
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    private static String format(double[] values) {
        StringBuilder sb = new StringBuilder();
        for (double v : values) {
            sb.append(sb.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.0f", v));
        }
        return sb.toString();
    }
}
