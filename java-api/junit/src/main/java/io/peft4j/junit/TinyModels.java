package io.peft4j.junit;

import io.peft4j.TinyModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * Tiny random-weight models to test with, made offline with {@link TinyModel}: a Llama-shaped causal LM (hidden size 64, 2 layers,
 * 4 heads, 2 key-value heads, float32) with a real byte-level BPE tokenizer and a chat template, a
 * few hundred kilobytes. PEFT, transformers and peft4j treat it like any Llama checkpoint.
 *
 * <p>Injected by {@link PeftExtension}. The model is built once per test run (the same seed gives
 * the same weights) and deleted when the run ends.
 */
public final class TinyModels {

    private final Path dir;
    private Path llama;

    TinyModels(Path dir) {
        this.dir = dir;
    }

    /**
     * The run's shared tiny Llama directory (config, {@code model.safetensors}, tokenizer), built on
     * first use. Shared by every test of the run: read it, never change its files (use
     * {@link #llama(Path)} for a copy of your own).
     */
    public synchronized Path llama() {
        if (llama == null) {
            llama = TinyModel.llama().initializerRange(0.02).write(dir.resolve("llama"));
        }
        return llama;
    }

    /**
     * A copy of the tiny Llama in {@code target} (created if absent; it must be empty), for a test
     * that changes the model's files.
     *
     * @return {@code target}
     */
    public Path llama(Path target) {
        Path source = llama();
        try {
            Files.createDirectories(target);
            try (Stream<Path> existing = Files.list(target)) {
                if (existing.findAny().isPresent()) {
                    throw new IllegalArgumentException(target + ": not empty; give an empty or new directory for the tiny model");
                }
            }
            List<Path> files;
            try (Stream<Path> list = Files.list(source)) {
                files = list.filter(Files::isRegularFile).toList();
            }
            for (Path file : files) {
                Files.copy(file, target.resolve(file.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the tiny model to " + target, e);
        }
    }
}
