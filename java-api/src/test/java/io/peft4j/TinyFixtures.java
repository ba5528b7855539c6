package io.peft4j;

import io.peft4j.bridge.PythonRuntime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Shared test fixtures, made once per JVM: the tiny random-weight Llama from
 * {@code peft4j_bridge.tiny.make_tiny_llama} and small JSONL sets with repetitive patterns, on which
 * a few dozen steps visibly lower the loss.
 */
final class TinyFixtures {

    private static Path root;

    private TinyFixtures() {}

    /** The fixture directory; the first call builds the model and the data. */
    static synchronized Path root() {
        if (root == null) {
            try {
                Path dir = Files.createTempDirectory("peft4j-training-test");
                PythonRuntime python = PythonRuntime.get();
                python.call("runtime", "add_path", Path.of("src/test/python").toAbsolutePath().toString());
                python.call("tiny", "make_tiny_llama", dir.resolve("tiny").toString(), 0);
                Files.write(dir.resolve("text.jsonl"), textLines());
                Files.write(dir.resolve("pc.jsonl"), promptCompletionLines());
                Files.write(dir.resolve("chat.jsonl"), chatLines());
                root = dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return root;
    }

    /** The runtime, with the test helpers of src/test/python importable. */
    static PythonRuntime python() {
        root();
        return PythonRuntime.get();
    }

    static Path model() {
        return root().resolve("tiny");
    }

    static Path text() {
        return root().resolve("text.jsonl");
    }

    static Path promptCompletion() {
        return root().resolve("pc.jsonl");
    }

    static Path chat() {
        return root().resolve("chat.jsonl");
    }

    private static final String[] NAMES = {"alice", "bob", "carol", "dave"};

    private static List<String> textLines() {
        Random random = new Random(1);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            String name = NAMES[random.nextInt(NAMES.length)];
            lines.add("{\"text\": \"hello " + name + ", the cat sat on the mat. hello " + name + ", the cat sat on the mat.\"}");
        }
        return lines;
    }

    private static List<String> promptCompletionLines() {
        List<String> lines = new ArrayList<>();
        for (Example e : examples()) {
            lines.add("{\"prompt\": \"" + e.prompt() + "\", \"completion\": \"" + e.completion() + "\"}");
        }
        return lines;
    }

    /** Prompt/completion pairs as Java records: the completion repeats a fixed answer per name. */
    static List<Example> examples() {
        Random random = new Random(2);
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            String name = NAMES[random.nextInt(NAMES.length)];
            examples.add(new Example("Greet " + name + ":", " hello " + name + ", the cat sat on the mat."));
        }
        return examples;
    }

    private static List<String> chatLines() {
        List<String> lines = new ArrayList<>();
        for (Example e : examples()) {
            lines.add("{\"messages\": [{\"role\": \"user\", \"content\": \"" + e.prompt() + "\"}, "
                    + "{\"role\": \"assistant\", \"content\": \"" + e.completion().strip() + "\"}]}");
        }
        return lines;
    }

    /** A prompt/completion training record, passed to {@link TrainConfig.Builder#records}. */
    record Example(String prompt, String completion) {}
}
