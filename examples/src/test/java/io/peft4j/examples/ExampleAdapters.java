package io.peft4j.examples;

import io.peft4j.Peft;
import io.peft4j.TrainConfig;
import io.peft4j.junit.TinyModels;
import io.peft4j.tuning.Targets;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Small LoRA adapters on the run's tiny model for the example tests, trained once per JVM (a few
 * steps each) and shared by the test classes: {@link #cats} and {@link #dogs} each teach one fixed
 * answer to every "Greet NAME:" prompt.
 */
final class ExampleAdapters {

    private static final Map<String, Path> TRAINED = new HashMap<>();
    private static Path root;

    private ExampleAdapters() {}

    /** A prompt/completion record, as {@link TrainConfig.Builder#records} takes them. */
    record Example(String prompt, String completion) {}

    /** An adapter answering "the cat sat on the mat". */
    static Path cats(TinyModels tiny) {
        return trained(tiny, "cats", "the cat sat on the mat");
    }

    /** An adapter answering "the dog sat on the log". */
    static Path dogs(TinyModels tiny) {
        return trained(tiny, "dogs", "the dog sat on the log");
    }

    private static synchronized Path trained(TinyModels tiny, String name, String answer) {
        Path done = TRAINED.get(name);
        if (done == null) {
            List<Example> data = new ArrayList<>();
            for (String who : List.of("alice", "bob", "carol", "dave")) {
                data.add(new Example("Greet " + who + ":", " " + answer));
            }
            done = Peft.train(TrainConfig.builder().baseModel(tiny.llama()).records(data).outputDir(root().resolve(name))
                    .maxSteps(12).batchSize(4).maxLength(32).learningRate(2e-2).targets(Targets.allLinear())
                    .build()).adapterDir();
            TRAINED.put(name, done);
        }
        return done;
    }

    private static Path root() {
        if (root == null) {
            try {
                root = Files.createTempDirectory("peft4j-example-adapters");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return root;
    }
}
