package io.peft4j.merge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.bridge.PythonRuntime;
import io.peft4j.safetensors.Safetensors;
import io.peft4j.safetensors.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * PEFT's side of the merge and soup comparisons: the functions of
 * {@code src/test/python/peft_merge_reference.py}, called through the bridge in this JVM, writing
 * into temporary directories (each build once per JVM).
 */
final class PeftReference {

    private static final Map<String, Path> BUILDS = new HashMap<>();
    private static final ObjectMapper JSON = new ObjectMapper();

    private PeftReference() {}

    /** The runtime, with the test scripts importable. */
    static PythonRuntime python() {
        PythonRuntime python = PythonRuntime.get();
        python.call("runtime", "add_path", Path.of("src/test/python").toAbsolutePath().toString());
        return python;
    }

    /** The output of {@code build_merges} or {@code build_soups}, made on first use. */
    static synchronized Path build(String function) throws IOException {
        Path done = BUILDS.get(function);
        if (done == null) {
            done = Files.createTempDirectory("peft4j-" + function + "-").resolve("ref");
            python().call("peft_merge_reference", function, done.toString());
            BUILDS.put(function, done);
        }
        return done;
    }

    /** PEFT's merge of one adapter into a Llama or GPT-2 base. */
    static void mergeAdapter(Path base, Path adapter, Path out) {
        python().call("peft_merge_reference", "merge_adapter", base.toString(), adapter.toString(), out.toString());
    }

    /** The manifest of a build. */
    static JsonNode manifest(Path build) throws IOException {
        return JSON.readTree(build.resolve("manifest.json").toFile());
    }

    /** Opens a model directory's weights. */
    static TensorSource weights(Path dir) {
        return Safetensors.open(dir);
    }

}
