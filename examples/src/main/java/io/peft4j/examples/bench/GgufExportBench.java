package io.peft4j.examples.bench;

import io.peft4j.Peft;
import io.peft4j.gguf.GgufFile;
import io.peft4j.gguf.GgufOutType;
import io.peft4j.gguf.GgufTensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * GGUF export side by side: llama.cpp's {@code convert_lora_to_gguf.py} against
 * {@code peft4j export --format gguf} on MergeBench's synthetic Llama-shaped base (hidden 1024, 12
 * layers) and its rank-16 all-linear adapter, each as a user runs it: a whole process, start-up
 * included (Python importing torch and transformers; the JVM), at f32 and q8_0. The files' tensors
 * are compared byte for byte.
 *
 * <p>Usage: {@code PEFT4J_PYTHON=venv GgufExportBench [WORK_DIR [CONVERTER_DIR]]}; WORK_DIR as for
 * MergeBench, CONVERTER_DIR the directory holding {@code convert_lora_to_gguf.py}, {@code conversion/}
 * and {@code gguf-py/} (default: where LlamaCppCrossCheckTest keeps them,
 * {@code $PEFT4J_HOME/cache/llama-cpp-python-0.3.36}).
 */
public final class GgufExportBench {

    private GgufExportBench() {}

    /** Runs the benchmark, or with {@code --child ADAPTER BASE OUT OUTTYPE} one Java export. */
    public static void main(String[] args) throws Exception {
        if (args.length == 5 && args[0].equals("--child")) {
            Peft.exportGguf(Path.of(args[1]), Path.of(args[2]), Path.of(args[3]), GgufOutType.parse(args[4]));
            return;
        }
        Path work = MeasuredProcess.ensureGenerated(Path.of(args.length > 0 ? args[0]
                : Path.of(System.getProperty("java.io.tmpdir"), "peft4j-bench").toString()));
        String home = System.getenv().getOrDefault("PEFT4J_HOME", Path.of(System.getProperty("user.home"), ".cache", "peft4j").toString());
        Path converter = args.length > 1 ? Path.of(args[1]) : Path.of(home, "cache", "llama-cpp-python-0.3.36");
        if (!Files.isRegularFile(converter.resolve("convert_lora_to_gguf.py"))) {
            throw new IllegalStateException(converter + " has no convert_lora_to_gguf.py: run LlamaCppCrossCheckTest once, or pass the directory");
        }
        Path base = work.resolve("base");
        Path adapter = work.resolve("adapter0");
        System.out.printf(Locale.ROOT, "adapter %s (rank 16, all linear, 12 layers of hidden 1024) on %s%n", adapter, base);
        for (String outType : List.of("f32", "q8_0")) {
            Path theirs = work.resolve("converter-" + outType + ".gguf");
            Path ours = work.resolve("peft4j-" + outType + ".gguf");
            double python = wallSeconds(List.of(MeasuredProcess.python().toString(), converter.resolve("convert_lora_to_gguf.py").toString(),
                    "--outtype", outType, "--base", base.toString(), "--outfile", theirs.toString(), adapter.toString()));
            List<String> java = new ArrayList<>(MeasuredProcess.java("1g", GgufExportBench.class,
                    "--child", adapter.toString(), base.toString(), ours.toString(), outType));
            double jvm = wallSeconds(java);
            System.out.printf(Locale.ROOT, "%-5s convert_lora_to_gguf.py %6.2f s   peft4j export %6.2f s   %.1fx faster   %s%n",
                    outType, python, jvm, python / jvm, identical(theirs, ours));
        }
    }

    private static double wallSeconds(List<String> command) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (process.waitFor() != 0) {
            throw new IllegalStateException("failed: " + String.join(" ", command));
        }
        return (System.nanoTime() - start) / 1e9;
    }

    private static String identical(Path theirs, Path ours) {
        try (GgufFile a = GgufFile.open(theirs); GgufFile b = GgufFile.open(ours)) {
            int same = 0;
            for (GgufTensorInfo t : a.tensors()) {
                GgufTensorInfo m = b.find(t.name()).orElse(null);
                same += m != null && m.type() == t.type() && a.data(t).mismatch(b.data(m)) == -1 ? 1 : 0;
            }
            return String.format(Locale.ROOT, "tensors bit-identical: %d/%d", same, a.tensors().size());
        }
    }
}
