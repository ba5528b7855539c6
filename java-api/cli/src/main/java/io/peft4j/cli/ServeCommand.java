package io.peft4j.cli;

import io.peft4j.serve.AdapterServer;
import io.peft4j.serve.ServeOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j serve --base BASE --adapter NAME=DIR ...}: many LoRA adapters behind one
 * OpenAI-compatible endpoint ({@link AdapterServer}) until interrupted; Ctrl-C cancels the queued
 * requests, finishes the running batch and exits.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve a base model and many LoRA adapters behind one OpenAI-compatible endpoint (vLLM's LoRA API), with mixed-adapter batches.")
final class ServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--base", required = true, paramLabel = "DIR", description = "Base model folder; its folder name is the base's model name.")
    Path base;

    @Option(names = "--adapter", paramLabel = "NAME=DIR", description = "An adapter served as model NAME; repeat for more (more can be loaded at run time with POST /v1/load_lora_adapter).")
    Map<String, Path> adapters = new LinkedHashMap<>();

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}, this machine only).")
    String host;

    @Option(names = "--port", defaultValue = "8000", description = "Port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--max-loaded", defaultValue = "8", paramLabel = "N", description = "Adapters kept loaded; more are evicted least-recently-used (default: ${DEFAULT-VALUE}).")
    int maxLoaded;

    @Option(names = "--max-batch", defaultValue = "16", paramLabel = "B", description = "Requests generated together at most (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--batch-window-ms", defaultValue = "10", paramLabel = "MS", description = "How long a request waits for others to share its batch (default: ${DEFAULT-VALUE}).")
    int batchWindowMs;

    @Option(names = "--max-tokens", defaultValue = "1024", paramLabel = "N", description = "The largest max_tokens a request may ask for (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Override
    public Integer call() throws IOException, InterruptedException {
        ServeOptions defaults = ServeOptions.of(base, adapters);
        ServeOptions options;
        try {
            options = new ServeOptions(base, adapters, host, port, maxLoaded, maxBatch, Duration.ofMillis(batchWindowMs), maxTokens,
                    defaults.maxBodyBytes(), defaults.maxQueued());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        AdapterServer server = AdapterServer.start(options);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        spec.commandLine().getOut().printf("peft4j serve: %s/v1 (models: %s%s)%n", server.address(), server.baseName(),
                adapters.isEmpty() ? "" : ", " + String.join(", ", adapters.keySet()));
        spec.commandLine().getOut().flush();
        stopped.await();
        return 0;
    }
}
