package io.peft4j.gguf;

import java.nio.file.Path;
import java.util.List;

/**
 * The outcome of {@link LlamaCppCompatibility#check}.
 *
 * @param path the adapter directory or GGUF file checked
 * @param problems one line per reason llama.cpp would not load it; empty when it loads
 */
public record LlamaCppReport(Path path, List<String> problems) {

    /** Copies the problems. */
    public LlamaCppReport {
        problems = List.copyOf(problems);
    }

    /** Whether llama.cpp loads it (an adapter directory: once exported with {@code peft4j export --format gguf}). */
    public boolean loadable() {
        return problems.isEmpty();
    }
}
