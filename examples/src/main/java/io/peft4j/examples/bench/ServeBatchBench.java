package io.peft4j.examples.bench;

import io.peft4j.TinyModel;
import io.peft4j.bridge.PythonRuntime;
import io.peft4j.serve.AdapterClient;
import io.peft4j.serve.AdapterServer;
import io.peft4j.serve.ServeOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code peft4j serve}'s mixed-adapter batching measured: 16 concurrent clients over 4 random LoRA
 * adapters on a small Llama (hidden 256, 4 layers), each sending greedy completions of 16 tokens;
 * once with batches of up to 16 requests (10 ms window), once one request at a time (max-batch 1).
 * Prints throughput (requests/s), p50 and p99 latency of both and the throughput ratio.
 *
 * <p>Run: {@code examples/run bench.ServeBatchBench [rounds per client, default 3]}
 */
public final class ServeBatchBench {

    private ServeBatchBench() {}

    /** Runs the benchmark. */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        Path dir = Files.createTempDirectory("peft4j-serve-bench");
        PythonRuntime python = PythonRuntime.get();
        python.addPackage(ServeBatchBench.class, "peft4j_examples");
        Path base = TinyModel.llama().hiddenSize(256).layers(4).write(dir.resolve("base"));
        Map<String, Path> adapters = new LinkedHashMap<>();
        for (int i = 0; i < 4; i++) {
            adapters.put("a" + i, Path.of(python.callAs(String.class, "peft4j_examples.random_lora", "make_random_lora",
                    base.toString(), dir.resolve("a" + i).toString(), i + 1)));
        }
        ServeOptions o = ServeOptions.of(base, adapters).withPort(0);
        Result batched = run(new ServeOptions(base, adapters, o.host(), 0, 4, 16, Duration.ofMillis(10), 64, o.maxBodyBytes(), o.maxQueued()), rounds);
        Result serial = run(new ServeOptions(base, adapters, o.host(), 0, 4, 1, Duration.ZERO, 64, o.maxBodyBytes(), o.maxQueued()), rounds);
        System.out.printf("16 clients x %d requests over 4 adapters, 16 new tokens each (%s)%n", rounds, Runtime.version());
        System.out.printf("batched (max-batch 16): %.2f req/s, p50 %.0f ms, p99 %.0f ms%n", batched.throughput(), batched.p50(), batched.p99());
        System.out.printf("one at a time:          %.2f req/s, p50 %.0f ms, p99 %.0f ms%n", serial.throughput(), serial.p50(), serial.p99());
        System.out.printf("throughput ratio batched / one at a time: %.2fx%n", batched.throughput() / serial.throughput());
    }

    private record Result(double throughput, double p50, double p99) {}

    private static Result run(ServeOptions options, int rounds) throws Exception {
        try (AdapterServer server = AdapterServer.start(options); ExecutorService clients = Executors.newFixedThreadPool(16)) {
            AdapterClient client = new AdapterClient(server.address());
            client.complete("a0", "warm up", 4);
            List<Future<long[]>> futures = new ArrayList<>();
            long start = System.nanoTime();
            for (int c = 0; c < 16; c++) {
                String adapter = "a" + (c % 4);
                String prompt = "Request " + c + ": the quick brown fox";
                futures.add(clients.submit(() -> {
                    long[] latencies = new long[rounds];
                    for (int r = 0; r < rounds; r++) {
                        long t = System.nanoTime();
                        client.complete(adapter, prompt, 16);
                        latencies[r] = System.nanoTime() - t;
                    }
                    return latencies;
                }));
            }
            List<Long> all = new ArrayList<>();
            for (Future<long[]> f : futures) {
                Arrays.stream(f.get()).forEach(all::add);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long[] sorted = all.stream().mapToLong(Long::longValue).sorted().toArray();
            return new Result(sorted.length / seconds, sorted[sorted.length / 2] / 1e6, sorted[(int) Math.ceil(sorted.length * 0.99) - 1] / 1e6);
        }
    }
}
