package io.peft4j.examples.bench;

import io.peft4j.bridge.PythonRuntime;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The cost of one call through {@link PythonRuntime}: a trivial function ({@code operator.add(1, 2)})
 * called from Java, against the same call made from Python through the same wrapper, so the ratio
 * is the price of the thread handoff and Jep's conversions. Also measures 8 Java threads calling at
 * once (they are served one after another).
 *
 * <p>Run: {@code PEFT4J_PYTHON=/path/to/venv java --enable-native-access=ALL-UNNAMED -cp ... io.peft4j.examples.bench.BridgeCallBench [calls]}
 */
public final class BridgeCallBench {

    private BridgeCallBench() {}

    /** Runs the benchmark; {@code args[0]} is the number of calls (default 20000). */
    public static void main(String[] args) throws Exception {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        long startup = System.nanoTime();
        PythonRuntime python = PythonRuntime.get();
        System.out.printf("runtime start (environment check + interpreter): %.2f s%n", (System.nanoTime() - startup) / 1e9);
        python.call("runtime", "add_path", benchDirectory().toString());

        for (int i = 0; i < calls; i++) {
            python.call("operator", "add", 1, 2);
        }
        long[] samples = new long[calls];
        for (int i = 0; i < calls; i++) {
            long t = System.nanoTime();
            python.call("operator", "add", 1, 2);
            samples[i] = System.nanoTime() - t;
        }
        java.util.Arrays.sort(samples);
        double javaMean = java.util.Arrays.stream(samples).average().orElseThrow() / 1e3;
        double javaMedian = samples[calls / 2] / 1e3;
        double javaP99 = samples[(int) (calls * 0.99)] / 1e3;

        long t = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            python.submit(interp -> null).join();
        }
        double handoff = (System.nanoTime() - t) / 1e3 / calls;

        List<?> py = python.callAs(List.class, "bridge_call_bench", "seconds_per_call", calls);
        double pyWrapped = ((Number) py.get(0)).doubleValue() * 1e6;
        double pyBare = ((Number) py.get(1)).doubleValue() * 1e6;

        int threads = 8;
        int perThread = calls / threads;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        t = System.nanoTime();
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            done.add(pool.submit(() -> {
                for (int j = 0; j < perThread; j++) {
                    python.call("operator", "add", 1, 2);
                }
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        double concurrent = (System.nanoTime() - t) / 1e3 / (perThread * threads);
        pool.shutdown();

        System.out.printf("trivial call operator.add(1, 2), %d calls%n", calls);
        System.out.printf("  Java  PythonRuntime.call             mean %6.2f us  median %6.2f us  p99 %6.2f us%n", javaMean, javaMedian, javaP99);
        System.out.printf("  Java  empty task (thread handoff)    mean %6.2f us%n", handoff);
        System.out.printf("  Java  %d threads at once             mean %6.2f us per call (served one after another)%n", threads, concurrent);
        System.out.printf("  Python runtime.call (same wrapper)   mean %6.2f us%n", pyWrapped);
        System.out.printf("  Python operator.add (bare)           mean %6.2f us%n", pyBare);
        System.out.printf("  ratio Java call / Python wrapper call: %.1fx by mean, %.1fx by median (overhead %.2f us mean, %.2f us median)%n",
                javaMean / pyWrapped, javaMedian / pyWrapped, javaMean - pyWrapped, javaMedian - pyWrapped);
    }

    private static Path benchDirectory() throws URISyntaxException {
        URL script = BridgeCallBench.class.getResource("/bench/bridge_call_bench.py");
        if (script == null || !"file".equals(script.getProtocol())) {
            throw new IllegalStateException("run BridgeCallBench from examples/target/classes (bench/bridge_call_bench.py not found as a file)");
        }
        return Path.of(script.toURI()).getParent();
    }
}
