package io.peft4j.serve;

import io.peft4j.TinyModel;
import io.peft4j.bridge.PythonRuntime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Made once per JVM: the tiny Llama and three random-weight LoRA adapters written by PEFT
 * ({@code src/test/python/serve_fixtures.py}; lora_B is noise, so each adapter answers differently).
 */
final class ServeFixtures {

    private static Path root;

    private ServeFixtures() {}

    static synchronized Path root() {
        if (root == null) {
            try {
                Path dir = Files.createTempDirectory("peft4j-serve-test");
                PythonRuntime python = PythonRuntime.get();
                python.call("runtime", "add_path", Path.of("src/test/python").toAbsolutePath().toString());
                TinyModel.llama().write(dir.resolve("tiny"));
                for (int i = 0; i < 3; i++) {
                    python.call("serve_fixtures", "make_random_lora", dir.resolve("tiny").toString(), dir.resolve("a" + i).toString(), i + 1);
                }
                root = dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return root;
    }

    static Path base() {
        return root().resolve("tiny");
    }

    static Path adapter(int i) {
        return root().resolve("a" + i);
    }
}
